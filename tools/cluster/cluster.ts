// `npm run cluster -- up|down|check|status`: a real control plane built from Go modules (build.sh),
// on 127.0.0.1 only, for a person (up/down) or for CI (check: up, every step applied, down).
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runMain } from '../../infra/tools/run-main';
import { applyStep, expectRefused, type StepReport, workloadNamespaces } from './check';
import {
  ClusterError,
  type Layout,
  REPO_ROOT,
  adminKubeconfig,
  build,
  defaultStateDir,
  down,
  portsFromEnv,
  running,
  upOrCleanUp,
  withControlPlane,
} from './controlplane';
import type { Kube, KubeObject } from './kube';
import { type Timer, phaseTimer, seconds } from './timing';
import {
  type RenderedStep,
  type Step,
  checkSteps,
  defaultRenderFlags,
  readRendered,
  render,
  selectSteps,
  stackFiles,
} from './steps';

const USAGE = `usage: npm run cluster -- up | down | status | check [--steps a,b] [-- <render flags>]
  up      build if needed, start etcd, kube-apiserver, kube-controller-manager, kube-scheduler and
          kwok on 127.0.0.1, install the CRDs, print the kubeconfig path
  down    stop every process started by up and remove the state directory
  check   up; apply the add-ons, then start -> step1..N -> end as updates of one stack, with the
          checks (tools/cluster/README.md); down; exit 0 only if every check holds
Environment: CLUSTER_STATE_DIR (default \${XDG_STATE_HOME:-~/.local/state}/secure-workshop/cluster),
CLUSTER_API_PORT (6443), CLUSTER_REBUILD=1 (rebuild the binaries and CRDs).`;

const HINT = 'npm run cluster -- help';

/** Bad command line: exit 2 with one line. */
class UsageError extends Error {}

const log = (line: string) => console.log(`cluster: ${line}`);

const { timed, part: timedPart, summary } = phaseTimer(log);

function layoutFor(buildDir: string): Layout {
  return { build: buildDir, state: defaultStateDir(), ports: portsFromEnv() };
}

async function commandUp(): Promise<number> {
  const buildDir = await timed('build (cached after the first run)', async () => build());
  const layout = layoutFor(buildDir);
  await upOrCleanUp(layout, timed);
  const bin = path.join(buildDir, 'bin');
  log(`up; kubeconfig: ${adminKubeconfig(layout)}`);
  console.log(`  export KUBECONFIG=${adminKubeconfig(layout)} PATH=${bin}:$PATH; kubectl get nodes`);
  console.log(`  logs: ${path.join(layout.state, 'logs')}; stop with: npm run cluster -- down`);
  return 0;
}

async function commandDown(): Promise<number> {
  // down needs no binaries: the pid files name the processes.
  const layout: Layout = { build: '', state: defaultStateDir(), ports: portsFromEnv() };
  const stopped = await down(layout);
  log(stopped.length > 0 ? `stopped ${stopped.join(', ')}; removed ${layout.state}` : 'nothing was running');
  return 0;
}

function commandStatus(): number {
  const layout: Layout = { build: '', state: defaultStateDir(), ports: portsFromEnv() };
  const live = running(layout);
  log(
    live.length > 0 ? `running: ${live.join(', ')}; kubeconfig: ${adminKubeconfig(layout)}` : 'not running',
  );
  return live.length > 0 ? 0 : 1;
}

function printReport(report: StepReport): boolean {
  const problems = report.errors.length + report.warnings.length + report.workloadFailures.length;
  log(
    `step ${report.name}: ${report.applied} applied, ${report.patched.length} patched, ${report.pruned.length} deleted, ` +
      `${report.replaced.length} replaced, ${report.errors.length} errors, ${report.warnings.length} warnings, ` +
      `${report.workloads.length} workloads ok, ${report.workloadFailures.length} not`,
  );
  for (const name of report.pruned) console.log(`  deleted (no longer in the step): ${name}`);
  for (const name of report.patched) console.log(`  patched after the workloads: ${name}`);
  for (const name of report.replaced) console.log(`  replaced (immutable field changed): ${name}`);
  for (const release of report.skippedHelmReleases)
    console.log(
      `  skipped Helm release ${release.namespace}/${release.name} (${release.chart} ${release.version}): Helm installs it, not this check`,
    );
  for (const { object, message } of report.workloads) console.log(`  ok ${object}: ${message}`);
  for (const { object, message } of report.errors) console.log(`  ERROR ${object}: ${message}`);
  for (const { object, message } of report.warnings) console.log(`  WARNING ${object}: ${message}`);
  for (const { object, message } of report.workloadFailures)
    console.log(`  NOT ADMITTED/READY ${object}: ${message}`);
  return problems === 0;
}

/** Every step in order, then the Pod Security probe; true when every check held. */
async function runSteps(
  kube: Kube,
  steps: readonly Step[],
  rendered: (index: number) => Promise<void>,
  dirs: readonly string[],
  timed: Timer,
): Promise<boolean> {
  let ok = true;
  const lastOf = new Map<string, RenderedStep>();
  let lastStep: KubeObject[] = [];
  for (const [i, step] of steps.entries()) {
    const objects = await timedPart(`render of ${step.name} (waited for)`, async () => {
      await rendered(i);
      return readRendered(dirs[i] as string);
    });
    const report = await timed(`step ${step.name}`, () =>
      applyStep(
        kube,
        { name: step.name, ...objects },
        lastOf.get(step.stack) ?? { objects: [], patches: [] },
      ),
    );
    ok = printReport(report) && ok;
    lastOf.set(step.stack, objects);
    lastStep = objects.objects;
  }
  const namespaces = workloadNamespaces(lastStep);
  if (namespaces.length === 0) {
    ok = false;
    log('ERROR: the last step has no workload namespace to test Pod Security in');
  }
  for (const namespace of namespaces) {
    const result = await timed(`privileged root pod in ${namespace}`, () => expectRefused(kube, namespace));
    log(`${result.ok ? 'refused as it must be' : 'ERROR'}: ${result.message}`);
    ok = result.ok && ok;
  }
  return ok;
}

export interface CheckOptions {
  steps?: string;
  renderFlags: string[];
}

async function commandCheck(options: CheckOptions): Promise<number> {
  const started = Date.now();
  const all = checkSteps(stackFiles(REPO_ROOT));
  let steps: Step[];
  try {
    steps = selectSteps(all, options.steps);
  } catch (error) {
    throw new UsageError(`check: ${(error as Error).message}`);
  }
  const buildDir = await timed('build (cached after the first run)', async () => build());
  const layout = layoutFor(buildDir);
  const live = running(layout);
  if (live.length > 0)
    throw new ClusterError(`a cluster is already up (${live.join(', ')}): npm run cluster -- down first`);

  // 0700 (mkdtemp): the renders hold real generated secrets; removed when the check ends.
  const renderRoot = mkdtempSync(path.join(os.tmpdir(), 'cluster-check-'));
  const flags = [...defaultRenderFlags(path.join(renderRoot, 'state.json')), ...options.renderFlags];
  const dirs = steps.map((step) => path.join(renderRoot, step.name));
  // One after the other (they share the state file), while the control plane starts and earlier
  // steps are applied.
  const renderStarted = Date.now();
  const rendered: Array<Promise<void>> = [];
  steps.forEach((step, i) => {
    const previous = rendered[i - 1] ?? Promise.resolve();
    rendered.push(previous.then(() => render(REPO_ROOT, step, dirs[i] as string, flags)));
  });
  for (const promise of rendered) promise.catch(() => undefined); // awaited in order below
  const renderDone = (rendered.at(-1) as Promise<void>).then(
    () => log(`render of ${steps.length} steps: ${seconds(Date.now() - renderStarted)} (overlapping up)`),
    () => undefined,
  );

  // Whatever ends this process, nothing it started keeps running and no rendered secret stays.
  let ok = false;
  await withControlPlane(
    layout,
    { timed, part: timedPart, cleanUpSync: () => rmSync(renderRoot, { recursive: true, force: true }) },
    async (kube) => {
      try {
        ok = await runSteps(kube, steps, (i) => rendered[i] as Promise<void>, dirs, timed);
        await renderDone;
      } catch (error) {
        // A render that fails or an API server that stops answering: the check has failed, say why.
        log(`ERROR: ${error instanceof Error ? error.message : String(error)}`);
      }
    },
  );
  log(`timings: ${summary()}`);
  log(`${ok ? 'check passed' : 'check FAILED'} in ${seconds(Date.now() - started)}`);
  return ok ? 0 : 1;
}

export function parseCheckArgs(argv: readonly string[]): CheckOptions {
  const split = argv.indexOf('--');
  const own = split === -1 ? [...argv] : argv.slice(0, split);
  const renderFlags = split === -1 ? [] : argv.slice(split + 1);
  const options: CheckOptions = { renderFlags };
  for (let i = 0; i < own.length; i += 1) {
    const token = own[i] as string;
    const [flag, inline] = token.split(/=(.*)/s) as [string, string | undefined];
    if (flag !== '--steps')
      throw new UsageError(`check: unknown argument '${token}' (render flags go after --; ${HINT})`);
    const value = inline ?? own[(i += 1)];
    if (value === undefined) throw new UsageError('check: --steps needs a list of step names');
    options.steps = value;
  }
  return options;
}

export async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === 'up' || command === 'down' || command === 'status') {
    if (rest.length > 0) throw new UsageError(`${command} takes no arguments (${HINT})`);
    if (command === 'up') return commandUp();
    if (command === 'down') return commandDown();
    return commandStatus();
  }
  if (command === 'check') return commandCheck(parseCheckArgs(rest));
  if (command === undefined || command === 'help' || command === '--help') {
    console.log(USAGE);
    return command === undefined ? 2 : 0;
  }
  throw new UsageError(`unknown command '${command}' (commands: up, down, status, check; ${HINT})`);
}

if (require.main === module) {
  runMain(() => main(process.argv.slice(2)), {
    prefix: 'cluster',
    // The cluster's own errors quote the component's output, which may take several lines.
    message: (error) => {
      const message = error instanceof Error ? error.message : String(error);
      return error instanceof ClusterError || error instanceof UsageError ? message : `error: ${message}`;
    },
    exitCode: (error) => (error instanceof UsageError ? 2 : 1),
  });
}
