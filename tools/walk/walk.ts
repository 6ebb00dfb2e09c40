// The walk itself: the guide's steps in order. Locally each step is rendered with real generated
// values kept across steps (like Pulumi state), applied to the processes of the previous step (the
// data stays), and its experiments run; a last pass deploys end on an empty data directory. With
// --cluster the same experiments run against a stack deployed at the step.
import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { GUIDE_STEPS } from '@secure-workshop/contracts';
import { ClusterTarget } from './cluster';
import { LocalCluster } from './deploy';
import { LocalTarget } from './local';
import { ServiceNetwork } from './network';
import { RenderedStep } from './objects';
import { Reporter } from './report';
import { runStep, stepLabel } from './runner';
import type { StepScenario } from './scenario-types';

export const WALK_STACK_NAME = 'walk';
export const WALK_NAMESPACE = `workshop-${WALK_STACK_NAME}`;

export interface LocalWalkOptions {
  steps: StepScenario[];
  repoRoot: string;
  binDir: string;
  hostsFile: string;
  keep: boolean;
  reporter: Reporter;
  /** Called with what stops the walk's processes and removes its files, for a signal handler. */
  onCleanup?: (cleanup: () => Promise<void>) => void;
}

function title(step: StepScenario): string {
  const guide = GUIDE_STEPS.find((entry) => entry.number === step.number);
  return guide === undefined
    ? `step 0 (${step.stack})`
    : `step ${step.number} (${step.stack}: ${guide.title})`;
}

/** `npm run render -- <stack> --stack-name walk --state ... --secrets reveal --out ...`, in-process free. */
function render(repoRoot: string, stack: string, out: string, state: string): Promise<void> {
  const args = ['--import', 'tsx', path.join(repoRoot, 'infra/tools/cli.ts'), 'render', stack];
  args.push('--out', out, '--stack-name', WALK_STACK_NAME, '--state', state, '--secrets', 'reveal');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0
        ? resolve()
        : reject(new Error(`render ${stack}: ${output.trim().split('\n').pop() ?? `exit ${code}`}`)),
    );
  });
}

async function deployAndTry(
  cluster: LocalCluster,
  rendered: RenderedStep,
  step: StepScenario,
  label: string,
  sessions: string,
  reporter: Reporter,
): Promise<void> {
  reporter.redactor.add(rendered.secretValues());
  let notes: string[];
  try {
    notes = await cluster.apply(rendered);
  } catch (error) {
    reporter.result(label, 'FAIL', 'deploy', (error as Error).message);
    reporter.line(`${label}: its experiments were not run`);
    return;
  } finally {
    reporter.redactor.add(cluster.secretValues());
  }
  reporter.line(`${label} deployed: ${notes.length > 0 ? notes.join('; ') : 'nothing changed'}`);
  await runStep(step, new LocalTarget(cluster, () => rendered, sessions), reporter, label);
}

export async function walkLocally(options: LocalWalkOptions): Promise<void> {
  const { reporter } = options;
  const root = mkdtempSync(path.join(tmpdir(), 'walk-'));
  // Others may pass through to the pods' files (each guarded by its own mode), never list or read here.
  chmodSync(root, 0o711);
  const state = path.join(root, 'state.json');
  const sessions = path.join(root, 'sessions');
  mkdirSync(path.join(root, 'rendered'), { mode: 0o700 });
  mkdirSync(sessions, { mode: 0o700 });
  const network = new ServiceNetwork(WALK_NAMESPACE, options.hostsFile);
  const clusterOptions = {
    repoRoot: options.repoRoot,
    binDir: options.binDir,
    network,
    namespace: WALK_NAMESPACE,
  };
  const upgrade = path.join(root, 'upgrade');
  mkdirSync(upgrade, { mode: 0o711 });
  let cluster = new LocalCluster({ ...clusterOptions, root: upgrade });
  let last: { rendered: RenderedStep; step: StepScenario } | undefined;
  const cleanUp = async () => {
    await cluster.stopAll();
    if (options.keep) reporter.line(`walk: kept ${root} (it holds real secrets: remove it when done)`);
    else rmSync(root, { recursive: true, force: true });
  };
  options.onCleanup?.(cleanUp);
  try {
    for (const step of options.steps) {
      const label = stepLabel(step);
      reporter.line(`== ${title(step)}`);
      const out = path.join(root, 'rendered', step.stack);
      try {
        await render(options.repoRoot, step.stack, out, state);
      } catch (error) {
        reporter.result(label, 'FAIL', 'render', (error as Error).message);
        reporter.summary(label, title(step));
        continue;
      }
      const rendered = RenderedStep.load(out, WALK_NAMESPACE);
      await deployAndTry(cluster, rendered, step, label, sessions, reporter);
      reporter.summary(label, title(step));
      last = { rendered, step };
    }
    const final = options.steps.at(-1);
    if (
      last !== undefined &&
      final !== undefined &&
      final.number === GUIDE_STEPS.length &&
      last.step === final
    ) {
      const label = stepLabel(final, ' (fresh)');
      reporter.line(`== ${title(final)} again, on an empty data directory`);
      await cluster.stopAll();
      const fresh = path.join(root, 'fresh');
      mkdirSync(fresh, { mode: 0o711 });
      cluster = new LocalCluster({ ...clusterOptions, root: fresh });
      await deployAndTry(cluster, last.rendered, final, label, sessions, reporter);
      reporter.summary(label, `${title(final)} on an empty data directory`);
    }
  } finally {
    await cleanUp();
  }
}

export async function walkCluster(steps: StepScenario[], stack: string, reporter: Reporter): Promise<void> {
  const target = new ClusterTarget(stack);
  for (const step of steps) {
    const label = stepLabel(step);
    reporter.line(`== ${title(step)} on stack ${stack}`);
    await runStep(step, target, reporter, label);
    reporter.summary(label, title(step));
  }
}
