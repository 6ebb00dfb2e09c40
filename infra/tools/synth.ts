import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { isRecord, type SynthResult, UsageError } from './model';
import { readStateFile } from './state-file';

export const PROJECT = 'secure-workshop';
/** The repository these tools live in (the policy pack is always this one's). */
export const TOOLS_ROOT = path.resolve(__dirname, '..', '..');
/** Where Pulumi.yaml, the stack files and the program are; SECURE_WORKSHOP_ROOT points the tools at another tree. */
export const REPO_ROOT = process.env.SECURE_WORKSHOP_ROOT ?? TOOLS_ROOT;
export const DEFAULT_PROGRAM = 'infra/index.ts';
const SYNTH_TIMEOUT_MS = 300_000;
const STACK_NAME = /^[A-Za-z0-9_.-]+$/;

export interface SynthOptions {
  /** Stack name: picks `Pulumi.<stack>.yaml` and becomes `pulumi.getStack()`. */
  stack: string;
  /** Replaces the stack's `secure-workshop:controls` (an ad-hoc step of the workshop). */
  controls?: string[];
  /** The stack the program runs as (`pulumi.getStack()`, URNs, namespace); defaults to `stack`. */
  stackName?: string;
  /** A state file whose generated values are kept (see state-file.ts). */
  stateFile?: string;
  /** Repository root holding Pulumi.yaml and the stack files. */
  root?: string;
  /** Program entry relative to root. */
  program?: string;
}

export function listStacks(root = REPO_ROOT): string[] {
  if (!existsSync(root)) return [];
  return readdirSync(root)
    .map((file) => /^Pulumi\.(.+)\.ya?ml$/.exec(file)?.[1])
    .filter((stack): stack is string => stack !== undefined)
    .sort();
}

function configValue(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function qualify(key: string): string {
  return key.includes(':') ? key : `${PROJECT}:${key}`;
}

/** The config the Pulumi CLI would hand the program: project defaults, then the stack file, then overrides. */
export function loadStackConfig(options: SynthOptions): Record<string, string> {
  const root = options.root ?? REPO_ROOT;
  for (const name of [options.stack, options.stackName ?? options.stack])
    if (!STACK_NAME.test(name)) throw new UsageError(`invalid stack name '${name}'`);
  const stackFile = ['yaml', 'yml']
    .map((ext) => path.join(root, `Pulumi.${options.stack}.${ext}`))
    .find(existsSync);
  if (stackFile === undefined) {
    const known = listStacks(root);
    throw new UsageError(
      `unknown stack '${options.stack}': no Pulumi.${options.stack}.yaml in ${root}` +
        (known.length > 0 ? ` (stacks: ${known.join(', ')})` : ''),
    );
  }
  const config: Record<string, string> = {};
  const projectFile = path.join(root, 'Pulumi.yaml');
  if (existsSync(projectFile)) {
    const project: unknown = parseYaml(readFileSync(projectFile, 'utf8'));
    const declared = isRecord(project) && isRecord(project.config) ? project.config : {};
    for (const [key, spec] of Object.entries(declared)) {
      const value = isRecord(spec) && 'default' in spec ? spec.default : isRecord(spec) ? undefined : spec;
      if (value !== undefined) config[qualify(key)] = configValue(value);
    }
  }
  let parsed: unknown;
  try {
    parsed = parseYaml(readFileSync(stackFile, 'utf8'));
  } catch (error) {
    throw new UsageError(
      `cannot parse ${path.basename(stackFile)}: ${(error as Error).message.split('\n')[0]}`,
    );
  }
  const stackConfig = isRecord(parsed) && isRecord(parsed.config) ? parsed.config : {};
  for (const [key, value] of Object.entries(stackConfig)) {
    // Encrypted values need the Pulumi CLI; the offline tools run without them.
    if (isRecord(value) && 'secure' in value) continue;
    config[qualify(key)] = configValue(value);
  }
  if (options.controls !== undefined) config[`${PROJECT}:controls`] = JSON.stringify(options.controls);
  return config;
}

export function controlsFromConfig(config: Record<string, string>): string[] {
  const raw = config[`${PROJECT}:controls`];
  if (raw === undefined || raw.trim() === '') return [];
  try {
    const parsed: unknown = JSON.parse(raw);
    if (Array.isArray(parsed)) return parsed.map(String);
  } catch {
    // Not JSON: a comma-separated list is accepted as well.
  }
  return raw
    .split(',')
    .map((id) => id.trim())
    .filter((id) => id.length > 0);
}

interface WorkerMessage {
  ok: boolean;
  result?: SynthResult;
  error?: string;
  usage?: boolean;
}

/**
 * Synthesizes a stack in its own Node process: Pulumi's mock runtime keeps process-global state, so
 * two stacks (a diff) must never share one.
 */
export function synthesize(options: SynthOptions): Promise<SynthResult> {
  const root = options.root ?? REPO_ROOT;
  // Validate here so bad input fails before a process starts.
  loadStackConfig(options);
  if (options.stateFile !== undefined) readStateFile(options.stateFile);
  const worker = path.join(__dirname, 'synth-worker.ts');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', worker], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      // A program that never settles (an output that is never resolved) must not hang CI.
      timeout: SYNTH_TIMEOUT_MS,
      env: { ...process.env, SECURE_WORKSHOP_SYNTH_OPTIONS: JSON.stringify({ ...options, root }) },
    });
    let stderr = '';
    let message: WorkerMessage | undefined;
    child.stdout?.on('data', (chunk: Buffer) => process.stderr.write(chunk));
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('message', (received) => {
      message = received as WorkerMessage;
    });
    child.on('error', (error) => reject(new Error(`cannot start the synthesis worker: ${error.message}`)));
    child.on('close', (code, signal) => {
      if (message?.ok === true && message.result !== undefined) {
        if (stderr.trim() !== '') process.stderr.write(stderr);
        resolve(message.result);
        return;
      }
      const reason =
        message?.error ??
        (signal === 'SIGTERM'
          ? `no answer within ${SYNTH_TIMEOUT_MS / 1000} s`
          : stderr.trim().split('\n').pop() || `worker exited with code ${code}`);
      const error = `synthesis of stack '${options.stack}' failed: ${reason}`;
      reject(message?.usage === true ? new UsageError(error) : new Error(error));
    });
  });
}
