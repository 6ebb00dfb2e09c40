// The ordered renders `cluster check` applies, all from the repository's stack files: the cluster
// add-ons stack (`clusterAddons: own`), then start, each guide step (Pulumi.step<N>.yaml, N in order)
// and end, those three rendered as the guide's `dev` stack so each step is an update of the one before.
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import type { KubeObject } from './kube';

/** The stack the guide deploys and updates step by step: every step renders as it (`--stack-name`). */
export const CHECK_STACK_NAME = 'dev';

export interface Step {
  /** The stack file the step renders (`Pulumi.<name>.yaml`). */
  name: string;
  /** The Pulumi stack this step updates: a step deletes what the previous step of its stack had. */
  stack: string;
  /** Arguments of `npm run render --` before `--out` and the pass-through flags. */
  renderArgs: string[];
}

/** A stack file's `config`, or undefined when it has none. */
export type StackConfig = Record<string, unknown> | undefined;

/**
 * Add-ons stacks first (each its own stack), then start, step1, step2, ... and end as one stack.
 * `stacks` maps each stack file's name to its config.
 */
export function checkSteps(stacks: ReadonlyMap<string, StackConfig>): Step[] {
  const names = [...stacks.keys()];
  const addons = names.filter((name) => stacks.get(name)?.['secure-workshop:clusterAddons'] === 'own').sort();
  const guide = names
    .map((name) => ({ name, n: /^step(\d+)$/.exec(name)?.[1] }))
    .filter((entry): entry is { name: string; n: string } => entry.n !== undefined)
    .sort((a, b) => Number(a.n) - Number(b.n))
    .map((entry) => entry.name);
  const path = ['start', ...guide, 'end'].filter((name) => stacks.has(name));
  return [
    ...addons.map((name) => ({ name, stack: name, renderArgs: [name] })),
    ...path.map((name) => ({
      name,
      stack: CHECK_STACK_NAME,
      renderArgs: [name, '--stack-name', CHECK_STACK_NAME],
    })),
  ];
}

/** Every Pulumi.<stack>.yaml of the repository with its config. */
export function stackFiles(repoRoot: string): Map<string, StackConfig> {
  const stacks = new Map<string, StackConfig>();
  for (const file of readdirSync(repoRoot).sort()) {
    const name = /^Pulumi\.(.+)\.yaml$/.exec(file)?.[1];
    if (name === undefined) continue;
    const parsed = parse(readFileSync(path.join(repoRoot, file), 'utf8')) as { config?: StackConfig } | null;
    stacks.set(name, parsed?.config);
  }
  return stacks;
}

/**
 * The render flags every step gets unless the caller overrides them after `--`: real generated
 * values (the Secrets are valid), kept across steps in one state file as Pulumi state keeps them.
 */
export function defaultRenderFlags(stateFile: string): string[] {
  return ['--state', stateFile, '--secrets', 'reveal'];
}

/** Keeps the steps named in `--steps a,b` (in the order of `steps`); every name must exist. */
export function selectSteps(steps: readonly Step[], names: string | undefined): Step[] {
  if (names === undefined) return [...steps];
  const wanted = names.split(',').map((name) => name.trim());
  const unknown = wanted.filter((name) => !steps.some((step) => step.name === name));
  if (unknown.length > 0)
    throw new Error(`unknown step ${unknown.join(', ')} (steps: ${steps.map((s) => s.name).join(', ')})`);
  return steps.filter((step) => wanted.includes(step.name));
}

/** The line of render's stderr that says what went wrong: its own `error:` line or a thrown Error. */
export function renderError(stderr: string): string {
  const lines = stderr
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);
  return lines.find((line) => /^(error:|[A-Za-z]*Error\b)/.test(line)) ?? lines.at(-1) ?? '(no output)';
}

/** Runs `npm run render -- <args> --out <dir> <extra flags>`; rejects with render's own last line. */
export function render(
  repoRoot: string,
  step: Step,
  outDir: string,
  extraFlags: readonly string[],
): Promise<void> {
  const args = ['run', '--silent', 'render', '--', ...step.renderArgs, '--out', outDir, ...extraFlags];
  return new Promise((resolve, reject) => {
    const child = spawn('npm', args, { cwd: repoRoot, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve();
      else {
        reject(
          new Error(
            `render of ${step.name} failed (exit ${code}): npm ${args.join(' ')}: ${renderError(stderr)}`,
          ),
        );
      }
    });
  });
}

/** A Helm release as render prints it: installed by Helm, never applied as an object here. */
export interface HelmRelease {
  name: string;
  namespace: string;
  chart: string;
  version: string;
}

export interface RenderedStep {
  objects: KubeObject[];
  helmReleases: HelmRelease[];
}

export function readRendered(dir: string): RenderedStep {
  const objects: KubeObject[] = [];
  const helmReleases: HelmRelease[] = [];
  for (const name of readdirSync(dir).sort()) {
    if (!name.endsWith('.yaml')) continue;
    for (const doc of parseAllDocuments(readFileSync(path.join(dir, name), 'utf8'))) {
      const body = doc.toJS() as Record<string, unknown> | null;
      if (body === null) continue;
      if (body.kind === 'HelmRelease' && body.apiVersion === undefined)
        helmReleases.push({
          name: String(body.name),
          namespace: String(body.namespace),
          chart: String(body.chart),
          version: String(body.version),
        });
      else objects.push(body as unknown as KubeObject);
    }
  }
  return { objects, helmReleases };
}
