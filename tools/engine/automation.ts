// The self-built engine (build.sh) driven through Pulumi's Automation API: a throw-away copy of the
// project with a file backend and the engine's own PULUMI_HOME; every operation returns data (change
// counts, warnings, policy findings, the engine's error line) instead of text to grep.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import * as path from 'node:path';
import {
  type EngineEvent,
  LocalWorkspace,
  PulumiCommand,
  type Stack,
  type StackSettings,
} from '@pulumi/pulumi/automation';

export const REPO_ROOT = path.resolve(__dirname, '..', '..');

/** A resource plugin build.sh could not build, with the command that says why and its answer. */
export interface UnavailablePlugin {
  name: string;
  version: string;
  command: string;
  answer: string;
}

export interface Engine {
  /** build.sh's cache directory: bin/ (CLI, language host) and home/ (PULUMI_HOME with the plugins). */
  dir: string;
  unavailable: UnavailablePlugin[];
  /** `kubernetes 4.34.2: served by provider source 4.25.0 (...)` lines: plugins built from another source. */
  substituted: string[];
}

/**
 * Reads build.sh's unavailable.txt: `<name> <version>: <command>` starts an entry, the lines after it
 * (up to the next entry) are the command's answer.
 */
export function parseUnavailable(text: string): UnavailablePlugin[] {
  const plugins: UnavailablePlugin[] = [];
  for (const line of text.split('\n')) {
    const entry = /^([a-z0-9-]+) (\d[\w.+-]*): (.+)$/.exec(line);
    if (entry !== null)
      plugins.push({
        name: entry[1] as string,
        version: entry[2] as string,
        command: entry[3] as string,
        answer: '',
      });
    else if (line.trim() !== '' && plugins.length > 0) {
      const last = plugins[plugins.length - 1] as UnavailablePlugin;
      last.answer = last.answer === '' ? line.trim() : `${last.answer} ${line.trim()}`;
    }
  }
  return plugins;
}

const readLines = (file: string) =>
  existsSync(file)
    ? readFileSync(file, 'utf8')
        .split('\n')
        .filter((line) => line.trim() !== '')
    : [];

/** Builds (or reuses) the engine with build.sh, whose progress goes to stderr. */
export function buildEngine(): Engine {
  const result = spawnSync('bash', [path.join(__dirname, 'build.sh')], {
    stdio: ['ignore', 'pipe', 'inherit'],
    encoding: 'utf8',
  });
  if (result.error !== undefined) throw new Error(`tools/engine/build.sh: ${result.error.message}`);
  if (result.status !== 0) throw new Error(`tools/engine/build.sh failed (exit ${result.status}); see above`);
  const dir = result.stdout.trim().split('\n').pop() as string;
  const unavailableFile = path.join(dir, 'unavailable.txt');
  return {
    dir,
    unavailable: existsSync(unavailableFile) ? parseUnavailable(readFileSync(unavailableFile, 'utf8')) : [],
    substituted: readLines(path.join(dir, 'substituted.txt')),
  };
}

/**
 * A copy of the project to run stacks in: Pulumi.yaml copied (stack files are written per step),
 * the program and its dependencies linked. Nothing in the repository is written.
 */
export function makeProject(dir: string): string {
  mkdirSync(dir, { recursive: true });
  cpSync(path.join(REPO_ROOT, 'Pulumi.yaml'), path.join(dir, 'Pulumi.yaml'));
  for (const entry of [
    'infra',
    'packages',
    'node_modules',
    'package.json',
    'tsconfig.json',
    'tsconfig.base.json',
  ])
    if (existsSync(path.join(REPO_ROOT, entry)))
      symlinkSync(path.join(REPO_ROOT, entry), path.join(dir, entry));
  return dir;
}

export interface WorkspaceOptions {
  engine: Engine;
  projectDir: string;
  /** A directory for the file backend. */
  stateDir: string;
  /** The kubeconfig the program's provider reads (its context comes from `kubeContext`). */
  kubeconfig: string;
}

/** Not a secret: it encrypts state that lives only as long as the run. */
const THROWAWAY_PASSPHRASE = 'ci-engine-throwaway-state';

export async function selectStack(name: string, options: WorkspaceOptions): Promise<Stack> {
  const { engine } = options;
  mkdirSync(options.stateDir, { recursive: true, mode: 0o700 });
  const pulumiCommand = await PulumiCommand.get({ root: engine.dir, skipVersionCheck: true });
  return LocalWorkspace.createOrSelectStack(
    { stackName: name, workDir: options.projectDir },
    {
      pulumiCommand,
      envVars: {
        // The language host next to the CLI, and Node 24 from the repository.
        PATH: `${path.join(engine.dir, 'bin')}:${path.join(REPO_ROOT, 'node_modules', '.bin')}:${process.env.PATH ?? ''}`,
        PULUMI_HOME: path.join(engine.dir, 'home'),
        PULUMI_BACKEND_URL: `file://${options.stateDir}`,
        PULUMI_CONFIG_PASSPHRASE: THROWAWAY_PASSPHRASE,
        PULUMI_SKIP_UPDATE_CHECK: 'true',
        PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: 'true',
        KUBECONFIG: options.kubeconfig,
      },
    },
  );
}

/** Replaces the stack's config (its Pulumi.<stack>.yaml), keeping the encryption salt. */
export async function setStackConfig(stack: Stack, config: Record<string, unknown>): Promise<void> {
  const settings: StackSettings = await stack.workspace.stackSettings(stack.name);
  await stack.workspace.saveStackSettings(stack.name, { ...settings, config });
}

export interface PolicyFinding {
  policy: string;
  urn: string;
  enforcementLevel: 'mandatory' | 'advisory';
}

/** What one engine operation did, from its events and summary. */
export interface Outcome {
  ok: boolean;
  /** Operation -> count (`create`, `update`, `same`, `read`, ...). */
  changes: Record<string, number>;
  /** Warnings the engine, the program or the provider reported (not progress lines). */
  warnings: string[];
  errors: string[];
  policies: PolicyFinding[];
  seconds: number;
}

function collector() {
  const outcome: Outcome = { ok: false, changes: {}, warnings: [], errors: [], policies: [], seconds: 0 };
  const onEvent = (event: EngineEvent) => {
    const diagnostic = event.diagnosticEvent;
    if (diagnostic !== undefined && diagnostic.ephemeral !== true) {
      const message = diagnostic.message.trim().replace(/\s*\n\s*/g, ' ');
      const where = diagnostic.urn === undefined ? '' : `${diagnostic.urn.split('::').pop()}: `;
      if (diagnostic.severity === 'warning') outcome.warnings.push(`${where}${message}`);
      if (diagnostic.severity === 'error') outcome.errors.push(`${where}${message}`);
    }
    const policy = event.policyEvent;
    if (policy !== undefined)
      outcome.policies.push({
        policy: policy.policyName,
        urn: policy.resourceUrn ?? '',
        enforcementLevel: policy.enforcementLevel === 'mandatory' ? 'mandatory' : 'advisory',
      });
  };
  return { outcome, onEvent };
}

/** The line of an engine failure that says why: its `error:` line, else its last line. */
export function oneLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  const lines = text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !/^(code|stdout|stderr):/.test(line));
  return lines.find((line) => /^error:/.test(line)) ?? lines.at(-1) ?? text;
}

type Operation = 'up' | 'preview' | 'policy preview' | 'destroy';

/** Runs one operation; never throws for an engine failure (`ok` is false and `errors` says why). */
export async function run(stack: Stack, operation: Operation, policyPack?: string): Promise<Outcome> {
  const { outcome, onEvent } = collector();
  const started = Date.now();
  const common = { color: 'never' as const, onEvent };
  try {
    if (operation === 'up') outcome.changes = { ...(await stack.up(common)).summary.resourceChanges };
    else if (operation === 'destroy')
      outcome.changes = { ...(await stack.destroy(common)).summary.resourceChanges };
    else
      outcome.changes = {
        ...(
          await stack.preview({
            ...common,
            ...(policyPack === undefined ? {} : { policyPacks: [policyPack] }),
          })
        ).changeSummary,
      };
    outcome.ok = true;
  } catch (error) {
    if (outcome.errors.length === 0) outcome.errors.push(oneLine(error));
  }
  outcome.seconds = (Date.now() - started) / 1000;
  return outcome;
}

/** Operations that change nothing: a second `up` after these is a no-op. */
const NO_CHANGE = new Set(['same', 'read']);

export function changesNothing(changes: Record<string, number>): boolean {
  return Object.entries(changes).every(([operation, count]) => NO_CHANGE.has(operation) || count === 0);
}

export function describeChanges(changes: Record<string, number>): string {
  const parts = Object.entries(changes)
    .filter(([, count]) => count > 0)
    .map(([operation, count]) => `${count} ${operation}`);
  return parts.length === 0 ? 'nothing' : parts.join(', ');
}
