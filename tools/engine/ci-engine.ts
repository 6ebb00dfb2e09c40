// `tsx tools/engine/ci-engine.ts`: the real Pulumi engine (self-built, with the real Kubernetes
// provider) against a real control plane (tools/cluster), through the Automation API (issue 15).
//
// On a control plane of its own: the add-ons stack, then the guide's path (start ... end) as updates
// of one `dev` stack, each step `pulumi up` (the provider waits for readiness as on k3s: kwok makes
// pods Ready and Jobs complete), a preview that must change nothing, the state compared resource by
// resource with the offline synthesis, the policy pack's findings compared with `npm run check`'s;
// then `pulumi destroy` of every stack and kubectl showing that the cluster holds exactly what it
// held before. A step whose resource plugins cannot be built here is BLOCKED with the reason
// build.sh recorded; everything else must pass. Exit 0 only then.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Stack } from '@pulumi/pulumi/automation';
import { checkStack, loadPolicyRunner, type PolicyRunner } from '../../infra/tools/check';
import type { SynthResource, SynthResult } from '../../infra/tools/model';
import { runMain } from '../../infra/tools/run-main';
import { synthesize } from '../../infra/tools/synth';
import {
  KUBE_CONTEXT,
  type Layout,
  adminKubeconfig,
  build as buildControlPlane,
  portsFromEnv,
  withControlPlane,
} from '../cluster/controlplane';
import type { Kube, KubeObject } from '../cluster/kube';
import { checkSteps, stackFiles } from '../cluster/steps';
import { phaseTimer } from '../cluster/timing';
import {
  type Outcome,
  type PolicyFinding,
  REPO_ROOT,
  type UnavailablePlugin,
  buildEngine,
  changesNothing,
  describeChanges,
  makeProject,
  oneLine,
  run,
  selectStack,
  setStackConfig,
  type WorkspaceOptions,
} from './automation';
import { type StateResource, compareState, engineUrns } from './compare-state';

const log = (line: string) => console.log(`ci-engine: ${line}`);
const { timed, part, summary } = phaseTimer(log);

/**
 * Controls the program builds from Kubernetes objects alone (no random, no tls resources): while
 * the steps that add them are BLOCKED, the start stack with these stands in for them, so the real
 * provider still applies the hardening (the Pod Security NamespacePatch among it) as an update.
 */
export const KUBERNETES_ONLY_CONTROLS = [
  'security-headers',
  'pod-hardening',
  'network-policies',
  'observability',
];

export interface EngineStep {
  /** What the summary calls it. */
  name: string;
  /** The engine's stack: a step updates what the previous step of the same stack left. */
  stack: string;
  /** The stack file's config (kubeContext is added). */
  config: Record<string, unknown>;
  /** The same stack for the offline tools: URNs match when `stackName` is the engine's stack. */
  synth: { stack: string; stackName: string; controls?: string[] };
}

/** The add-ons stacks, then the guide's path as `dev`, then the Kubernetes-only stand-in. */
export function engineSteps(
  stacks: ReadonlyMap<string, Record<string, unknown> | undefined>,
  pathStacks?: readonly string[],
): EngineStep[] {
  const steps = checkSteps(stacks, pathStacks).map((step): EngineStep => ({
    name: step.name,
    stack: step.stack,
    config: { ...(stacks.get(step.name) ?? {}) },
    synth: { stack: step.name, stackName: step.stack },
  }));
  const start = steps.find((step) => step.name === 'start');
  if (start === undefined) return steps;
  return [
    ...steps,
    {
      name: 'start+kubernetes-only',
      stack: start.stack,
      config: { ...start.config, 'secure-workshop:controls': KUBERNETES_ONLY_CONTROLS },
      synth: { ...start.synth, controls: KUBERNETES_ONLY_CONTROLS },
    },
  ];
}

/** The resource plugins a stack loads: the package of each custom resource and provider. */
export function pluginsOf(resources: readonly Pick<SynthResource, 'type' | 'custom'>[]): string[] {
  const plugins = resources
    .filter((resource) => resource.custom)
    .map((resource) => {
      const provider = /^pulumi:providers:(.+)$/.exec(resource.type);
      return provider === null ? (resource.type.split(':')[0] as string) : (provider[1] as string);
    });
  return [...new Set(plugins)].filter((plugin) => plugin !== 'pulumi').sort();
}

/** The plugins a stack needs that build.sh could not build. */
export function blockingPlugins(
  resources: readonly Pick<SynthResource, 'type' | 'custom'>[],
  unavailable: readonly UnavailablePlugin[],
): UnavailablePlugin[] {
  const needed = new Set(pluginsOf(resources));
  return unavailable.filter((plugin) => needed.has(plugin.name));
}

/** Warnings every run prints while a plugin is served by another source (build.sh's substituted.txt). */
export function isExpectedWarning(warning: string, substituted: readonly string[]): boolean {
  const plugins = substituted.map((line) => line.split(' ')[0]);
  const match = /resource plugin (\S+) is expected to have version/.exec(warning);
  return match !== null && plugins.includes(match[1]);
}

const findingKey = (finding: PolicyFinding) => `${finding.enforcementLevel} ${finding.policy} ${finding.urn}`;

/** Lines `- offline only` / `+ engine only`; empty when the policy pack judged both the same. */
export function comparePolicies(
  engine: readonly PolicyFinding[],
  offline: readonly PolicyFinding[],
): string[] {
  const e = new Set(engine.map(findingKey));
  const o = new Set(offline.map(findingKey));
  return [
    ...[...o].filter((key) => !e.has(key)).map((key) => `- ${key} (offline only)`),
    ...[...e].filter((key) => !o.has(key)).map((key) => `+ ${key} (engine only)`),
  ].sort();
}

/** `npm run check`'s findings, under the URNs the engine gives the same resources. */
async function offlinePolicies(result: SynthResult, runner: PolicyRunner): Promise<PolicyFinding[]> {
  const urns = engineUrns(result.resources);
  return (await checkStack(result, runner)).violations.map((violation) => ({
    policy: violation.policy,
    urn: violation.urn === undefined ? '' : (urns.get(violation.urn) ?? violation.urn),
    enforcementLevel: violation.enforcementLevel,
  }));
}

/** The Kubernetes objects a stack creates, as the provider would send them (patches and Helm aside). */
export function kubernetesObjects(resources: readonly SynthResource[]): KubeObject[] {
  return resources
    .filter(
      (resource) =>
        resource.custom &&
        resource.type.startsWith('kubernetes:') &&
        !/Patch$|:Release$|^kubernetes:helm/.test(resource.type) &&
        typeof resource.inputs.kind === 'string',
    )
    .map((resource) => resource.inputs as unknown as KubeObject);
}

/** The built kubectl against the control plane; what a person would type. */
function kubectl(layout: Layout, args: string[]): { ok: boolean; out: string; err: string } {
  const result = spawnSync(
    path.join(layout.build, 'bin', 'kubectl'),
    ['--kubeconfig', adminKubeconfig(layout), ...args],
    { encoding: 'utf8' },
  );
  return { ok: result.status === 0, out: result.stdout ?? '', err: (result.stderr ?? '').trim() };
}

/** Churn of the control plane itself, not objects anyone applies. */
const CHURN = new Set(['events', 'events.events.k8s.io', 'leases.coordination.k8s.io', 'componentstatuses']);

/** Every object of every listable kind, `kind namespace/name`, read with kubectl. */
function clusterObjects(layout: Layout): Set<string> {
  const types = kubectl(layout, ['api-resources', '--verbs=list', '-o', 'name'])
    .out.split('\n')
    .filter((type) => type !== '' && !CHURN.has(type));
  const listed = kubectl(layout, [
    'get',
    types.join(','),
    '--all-namespaces',
    '--no-headers',
    '-o',
    'custom-columns=KIND:.kind,NAMESPACE:.metadata.namespace,NAME:.metadata.name',
  ]);
  if (!listed.ok) throw new Error(`kubectl get: ${listed.err.split('\n').pop()}`);
  return new Set(
    listed.out
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => {
        const [kind, namespace, name] = line.trim().split(/\s+/);
        return `${kind} ${namespace === '<none>' ? '' : `${namespace}/`}${name}`;
      }),
  );
}

interface StepRun {
  step: EngineStep;
  synth?: SynthResult;
  /** Why the synthesis failed, if it did. */
  synthError?: string;
}

type Verdict = 'ok' | 'FAIL' | 'BLOCKED';

class Summary {
  readonly lines: string[] = [];
  failures = 0;
  blocked = 0;

  add(verdict: Verdict, what: string, details: readonly string[] = []): void {
    if (verdict === 'FAIL') this.failures += 1;
    if (verdict === 'BLOCKED') this.blocked += 1;
    const line = `${verdict.padEnd(7)} ${what}`;
    this.lines.push(line, ...details.map((detail) => `        ${detail}`));
    log(line);
    for (const detail of details) console.log(`    ${detail}`);
  }
}

function outcomeProblems(outcome: Outcome, engine: WorkspaceOptions['engine']): string[] {
  return [
    ...outcome.errors.map((error) => `error: ${error}`),
    ...outcome.warnings
      .filter((warning) => !isExpectedWarning(warning, engine.substituted))
      .map((warning) => `warning: ${warning}`),
  ];
}

interface Context extends WorkspaceOptions {
  layout: Layout;
  kube: Kube;
  runner: Promise<PolicyRunner>;
  report: Summary;
}

/** up, a preview that must change nothing, the state against the synthesis, the policy pack. */
async function runStep(ctx: Context, stack: Stack, step: EngineStep, synth: SynthResult): Promise<boolean> {
  const { engine, report } = ctx;
  await setStackConfig(stack, { ...step.config, 'secure-workshop:kubeContext': KUBE_CONTEXT });
  const up = await timed(`${step.name}: pulumi up`, () => run(stack, 'up'));
  const upProblems = outcomeProblems(up, engine);
  report.add(
    up.ok && upProblems.length === 0 ? 'ok' : 'FAIL',
    `${step.name}: pulumi up (${up.seconds.toFixed(1)}s): ${describeChanges(up.changes)}`,
    upProblems,
  );
  if (!up.ok) return false;

  const again = await timed(`${step.name}: preview`, () => run(stack, 'preview'));
  const againProblems = outcomeProblems(again, engine);
  report.add(
    again.ok && againProblems.length === 0 && changesNothing(again.changes) ? 'ok' : 'FAIL',
    `${step.name}: second preview changes nothing (${again.seconds.toFixed(1)}s): ${describeChanges(again.changes)}`,
    againProblems,
  );

  const exported = await stack.exportStack();
  const state = ((exported.deployment as { resources?: StateResource[] }).resources ?? []) as StateResource[];
  const stateProblems = compareState(state, synth.resources);
  const renamed = [...engineUrns(synth.resources)].filter(([offline, engineUrn]) => offline !== engineUrn);
  if (renamed.length > 0)
    log(
      `note: ${renamed.length} offline URNs differ from the engine's (the SDK's mock monitor qualifies ` +
        `top-level types with pulumi:pulumi:Stack$, e.g. ${renamed[0]?.[0]}); compared under the engine's`,
    );
  report.add(
    stateProblems.length === 0 ? 'ok' : 'FAIL',
    `${step.name}: state = offline synthesis (${state.length} resources, by URN and inputs)`,
    stateProblems,
  );

  const policy = await timed(`${step.name}: preview --policy-pack`, () =>
    run(stack, 'policy preview', path.join(REPO_ROOT, 'policy')),
  );
  const offline = await offlinePolicies(synth, await ctx.runner);
  const policyProblems = comparePolicies(policy.policies, offline);
  const mandatory = policy.policies.filter((finding) => finding.enforcementLevel === 'mandatory');
  // The preview fails exactly when a mandatory policy is violated.
  if (policy.ok !== (mandatory.length === 0))
    policyProblems.push(...(policy.ok ? ['the preview passed with mandatory violations'] : policy.errors));
  const violated = [...new Set(mandatory.map((finding) => finding.policy))].sort();
  report.add(
    policyProblems.length === 0 ? 'ok' : 'FAIL',
    `${step.name}: policy pack (${policy.seconds.toFixed(1)}s) = npm run check: ${
      violated.length === 0 ? 'no mandatory violation' : `mandatory violations ${violated.join(', ')}`
    }`,
    policyProblems,
  );
  return true;
}

async function runAll(ctx: Context, steps: readonly StepRun[]): Promise<void> {
  const { report, layout, kube } = ctx;
  const stacks = new Map<string, Stack>();
  // Stacks are destroyed in the reverse order of their first up (the path before the add-ons).
  const deployed: string[] = [];
  let baseline: Set<string> | undefined;
  const namespaces = new Set<string>();
  const explained = new Set<string>();

  for (const { step, synth, synthError } of steps) {
    if (synth === undefined) {
      report.add('FAIL', `${step.name}: offline synthesis`, [synthError ?? 'no result']);
      continue;
    }
    const blocking = blockingPlugins(synth.resources, ctx.engine.unavailable);
    if (blocking.length > 0) {
      // Each plugin's command and answer once, at the first step it blocks.
      const fresh = blocking.filter((plugin) => !explained.has(plugin.name));
      for (const plugin of fresh) explained.add(plugin.name);
      report.add(
        'BLOCKED',
        `${step.name}: needs ${blocking.map((p) => `${p.name} ${p.version}`).join(', ')}, which cannot be built here`,
        fresh.map((p) => `$ ${p.command}: ${p.answer}`),
      );
      if (step.config['secure-workshop:clusterAddons'] === 'own') {
        // An add-ons stack the engine cannot run: its objects (the HelmChartConfig the workshop
        // stacks read) go on as the cluster check applies them, so later steps find them.
        for (const object of kubernetesObjects(synth.resources)) await kube.apply(object);
        log(
          `${step.name}: applied its ${kubernetesObjects(synth.resources).length} objects without the engine`,
        );
      }
      continue;
    }
    baseline ??= await timed('kubectl: every object before the first up', async () => clusterObjects(layout));
    let stack = stacks.get(step.stack);
    if (stack === undefined) {
      stack = await selectStack(step.stack, ctx);
      stacks.set(step.stack, stack);
    }
    if (!deployed.includes(step.stack)) deployed.unshift(step.stack);
    for (const object of kubernetesObjects(synth.resources))
      if (object.kind === 'Namespace') namespaces.add(object.metadata.name);
    if (step.synth.controls !== undefined) log(`${step.name}: controls ${step.synth.controls.join(', ')}`);
    await runStep(ctx, stack, step, synth);
  }

  for (const name of deployed) {
    const stack = stacks.get(name) as Stack;
    const destroyed = await timed(`${name}: pulumi destroy`, () => run(stack, 'destroy'));
    const problems = outcomeProblems(destroyed, ctx.engine);
    report.add(
      destroyed.ok && problems.length === 0 ? 'ok' : 'FAIL',
      `${name}: pulumi destroy (${destroyed.seconds.toFixed(1)}s): ${describeChanges(destroyed.changes)}`,
      problems,
    );
  }
  if (baseline === undefined) return;
  const after = await timed('kubectl: every object after destroy', async () => clusterObjects(layout));
  const left = [...after].filter((object) => !baseline.has(object)).map((object) => `left behind: ${object}`);
  const gone = [...baseline].filter((object) => !after.has(object)).map((object) => `gone: ${object}`);
  for (const namespace of namespaces) {
    const get = kubectl(layout, ['get', 'namespace', namespace]);
    if (get.ok) left.push(`kubectl get namespace ${namespace}: still there`);
    else log(`kubectl get namespace ${namespace}: ${get.err}`);
  }
  report.add(
    left.length + gone.length === 0 ? 'ok' : 'FAIL',
    `destroy left the cluster as it was (${baseline.size} objects before and after, read with kubectl)`,
    [...left, ...gone],
  );
}

async function main(): Promise<number> {
  const started = Date.now();
  const report = new Summary();
  const engine = await timed('engine build (cached after the first run)', async () => buildEngine());
  for (const line of engine.substituted) log(`note: ${line}`);
  const controlPlane = await timed('control plane build (cached after the first run)', async () =>
    buildControlPlane(),
  );
  const work = mkdtempSync(path.join(os.tmpdir(), 'ci-engine-'));
  const layout: Layout = { build: controlPlane, state: path.join(work, 'cluster'), ports: portsFromEnv() };

  // The offline syntheses run one after the other while the control plane starts.
  const steps = engineSteps(stackFiles(REPO_ROOT));
  const synthStarted = Date.now();
  const syntheses: Array<Promise<StepRun>> = [];
  for (const step of steps) {
    const previous = syntheses.at(-1) ?? Promise.resolve(undefined);
    syntheses.push(
      previous.then(() =>
        synthesize(step.synth).then(
          (synth): StepRun => ({ step, synth }),
          (error: unknown): StepRun => ({
            step,
            synthError: error instanceof Error ? error.message : String(error),
          }),
        ),
      ),
    );
  }
  const allSynthesized = Promise.all(syntheses).then((runs) => {
    log(
      `offline synthesis of ${runs.length} stacks: ${((Date.now() - synthStarted) / 1000).toFixed(1)}s (overlapping up)`,
    );
    return runs;
  });

  try {
    await withControlPlane(
      layout,
      { timed, part, cleanUpSync: () => rmSync(work, { recursive: true, force: true }) },
      async (kube) => {
        const runner = loadPolicyRunner();
        runner.catch(() => undefined); // awaited by the first policy comparison
        const ctx: Context = {
          engine,
          layout,
          kube,
          projectDir: makeProject(path.join(work, 'project')),
          stateDir: path.join(work, 'state'),
          kubeconfig: adminKubeconfig(layout),
          runner,
          report,
        };
        await runAll(ctx, await allSynthesized);
      },
    );
  } catch (error) {
    report.add('FAIL', 'run', [oneLine(error)]);
  }
  log('summary:');
  for (const line of report.lines) console.log(`  ${line}`);
  log(`timings: ${summary()}`);
  log(
    `${report.failures === 0 ? 'passed' : 'FAILED'}: ${report.failures} failed, ${report.blocked} blocked, in ${((Date.now() - started) / 1000).toFixed(1)}s`,
  );
  return report.failures === 0 ? 0 : 1;
}

if (require.main === module) {
  runMain(main, {
    prefix: 'ci-engine',
    // CI's log is read after the fact: the whole message, with the engine's output it quotes.
    message: (error) => (error instanceof Error ? error.message : String(error)),
    exitCode: () => 1,
  });
}
