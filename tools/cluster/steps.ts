// The ordered renders `cluster check` applies, all from the repository's stack files: the cluster
// add-ons stack (`clusterAddons: own`), then the guide's path (start, step1 ... end, as the contracts
// list it) rendered as the guide's `dev` stack, so each step is an update of the one before.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { stepStacks } from '@secure-workshop/contracts';
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
 * Add-ons stacks first (each its own stack), then the guide's path (`pathStacks`, start first) as
 * one stack. `stacks` maps each stack file's name to its config; every stack of the path must have one.
 */
export function checkSteps(
  stacks: ReadonlyMap<string, StackConfig>,
  pathStacks: readonly string[] = stepStacks(),
): Step[] {
  const addons = [...stacks.keys()]
    .filter((name) => stacks.get(name)?.['secure-workshop:clusterAddons'] === 'own')
    .sort();
  const missing = pathStacks.filter((name) => !stacks.has(name));
  if (missing.length > 0)
    throw new Error(`no stack file for ${missing.map((n) => `Pulumi.${n}.yaml`).join(', ')}`);
  return [
    ...addons.map((name) => ({ name, stack: name, renderArgs: [name] })),
    ...pathStacks.map((name) => ({
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

/**
 * A `<Kind>Patch` resource of the program (resources.json): the fields it sets on an object someone
 * else owns, server-side applied with its own field manager after the resources it depends on.
 * render merges it into its target's file; `readRendered` takes it out again.
 */
export interface RenderedPatch {
  /** The program's resource name (`namespace-pod-security`). */
  name: string;
  object: KubeObject;
}

export interface RenderedStep {
  /** The program's objects, without the fields its patches set. */
  objects: KubeObject[];
  patches: RenderedPatch[];
  helmReleases: HelmRelease[];
}

interface ResourcesJson {
  resources?: Array<{ type?: string; name?: string; inputs?: Record<string, unknown> }>;
}

/** The patch resources render listed in resources.json (none when there is no such file). */
export function readPatches(dir: string): RenderedPatch[] {
  const file = path.join(dir, 'resources.json');
  if (!existsSync(file)) return [];
  const { resources = [] } = JSON.parse(readFileSync(file, 'utf8')) as ResourcesJson;
  return resources
    .filter((resource) => /^kubernetes:[^:]+:[A-Za-z0-9]+Patch$/.test(resource.type ?? ''))
    .map((resource) => ({ name: String(resource.name), object: resource.inputs as unknown as KubeObject }));
}

const sameObject = (a: KubeObject, b: KubeObject) =>
  a.kind === b.kind &&
  a.metadata.name === b.metadata.name &&
  (a.metadata.namespace ?? '') === (b.metadata.namespace ?? '');

type Tree = Record<string, unknown>;
const isTree = (value: unknown): value is Tree =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** `body` without the fields `patch` sets (maps recursively); maps left empty go too. */
function subtract(body: Tree, patch: Tree): Tree {
  const rest: Tree = {};
  for (const [key, value] of Object.entries(body)) {
    if (!(key in patch)) rest[key] = value;
    else if (isTree(value) && isTree(patch[key])) {
      const inner = subtract(value, patch[key]);
      if (Object.keys(inner).length > 0) rest[key] = inner;
    }
  }
  return rest;
}

/** What a patch sets: everything but the identity of its target. */
function patchedFields(patch: KubeObject): Tree {
  const fields: Tree = structuredClone(patch);
  delete fields.apiVersion;
  delete fields.kind;
  const metadata = fields.metadata as Tree;
  delete metadata.name;
  delete metadata.namespace;
  return fields;
}

/** The object as the program itself declares it: the fields of every patch on it taken out. */
export function withoutPatchedFields(object: KubeObject, patches: readonly RenderedPatch[]): KubeObject {
  return patches
    .filter((patch) => sameObject(patch.object, object))
    .reduce((body, patch) => subtract(body, patchedFields(patch.object)) as KubeObject, object);
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
  const patches = readPatches(dir);
  return { objects: objects.map((object) => withoutPatchedFields(object, patches)), patches, helmReleases };
}
