import { chmodSync, existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { CHECKSUM_ANNOTATION } from '../lib/labels';
import { yamlText } from '../lib/yaml';
import { asKubernetesObject, isHelmRelease } from '../testing/objects';
import { maskSecrets } from '../testing/secret-values';
import { isRecord, type SynthResource, type SynthResult, UsageError } from './model';
import { labelGeneratedValues } from './secrets';

export const CLUSTER_SCOPE = 'cluster';

/** `mask` (the default) prints secrets as `[secret]` and run-to-run values as labels; `reveal` keeps real values. */
export type SecretsMode = 'mask' | 'reveal';

export interface RenderOptions {
  secrets?: SecretsMode;
}

/** The value as printed: secret paths masked and generated values labelled, unless revealing. */
function shown<T>(
  value: T,
  secretPaths: readonly string[],
  result: SynthResult,
  { secrets = 'mask' }: RenderOptions,
): T {
  if (secrets === 'reveal') return value;
  return labelChecksums(labelGeneratedValues(maskSecrets(value, secretPaths), result.generatedValues));
}

/** Checksums over generated secrets change with them on every run: they print as a label. */
function labelChecksums<T>(value: T): T {
  if (Array.isArray(value)) return value.map(labelChecksums) as T;
  if (!isRecord(value)) return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, item]) => [
      key,
      CHECKSUM_ANNOTATION.test(key) && typeof item === 'string'
        ? '[checksum of secrets]'
        : labelChecksums(item),
    ]),
  ) as T;
}

/** A Kubernetes object or Helm release, with secrets masked, as the render and draw tools see it. */
export interface RenderedObject {
  file: string;
  kind: string;
  namespace: string;
  name: string;
  urn: string;
  body: Record<string, unknown>;
}

function fileSafe(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9.-]+/g, '-');
}

export function helmReleaseBody(
  resource: SynthResource,
  result: SynthResult,
  options: RenderOptions = {},
): Record<string, unknown> {
  const inputs = shown(resource.inputs, resource.secretPaths, result, options);
  const repositoryOpts = isRecord(inputs.repositoryOpts) ? inputs.repositoryOpts : {};
  return {
    kind: 'HelmRelease',
    name: inputs.name ?? resource.name,
    namespace: inputs.namespace ?? 'default',
    chart: inputs.chart,
    repository: repositoryOpts.repo ?? null,
    version: inputs.version ?? null,
    values: inputs.values ?? {},
  };
}

function deepMerge(base: unknown, patch: unknown): unknown {
  if (!isRecord(base) || !isRecord(patch)) return patch;
  const merged: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(patch)) merged[key] = deepMerge(base[key], value);
  return merged;
}

/**
 * A `<Kind>Patch` (server-side apply of some fields of an object, e.g. the Pod Security labels the
 * program puts on its namespace after the workloads) is shown merged into the object it patches: a
 * file per object, as `kubectl apply -f` needs it, holding what the object ends up with.
 */
function mergePatches(objects: RenderedObject[], result: SynthResult): void {
  const patchUrns = new Set(
    result.resources.filter((resource) => /Patch$/.test(resource.type)).map((resource) => resource.urn),
  );
  for (const patch of objects.filter((object) => patchUrns.has(object.urn))) {
    const target = objects.find(
      (object) =>
        !patchUrns.has(object.urn) &&
        object.kind === patch.kind &&
        object.namespace === patch.namespace &&
        object.name === patch.name,
    );
    if (target === undefined) continue;
    target.body = deepMerge(target.body, patch.body) as Record<string, unknown>;
    objects.splice(objects.indexOf(patch), 1);
  }
}

/** Every Kubernetes object and Helm release of a synthesis, masked, with stable unique file names. */
export function renderedObjects(result: SynthResult, options: RenderOptions = {}): RenderedObject[] {
  const objects: RenderedObject[] = [];
  for (const resource of result.resources) {
    const manifest = asKubernetesObject(resource);
    if (manifest !== undefined) {
      const body = shown(manifest as Record<string, unknown>, resource.secretPaths, result, options);
      objects.push({
        file: '',
        kind: manifest.kind,
        namespace: manifest.metadata.namespace ?? CLUSTER_SCOPE,
        name: manifest.metadata.name ?? resource.name,
        urn: resource.urn,
        body,
      });
    } else if (isHelmRelease(resource)) {
      const body = helmReleaseBody(resource, result, options);
      objects.push({
        file: '',
        kind: 'HelmRelease',
        namespace: String(body.namespace),
        name: String(body.name),
        urn: resource.urn,
        body,
      });
    }
  }
  mergePatches(objects, result);
  objects.sort((a, b) =>
    `${a.kind}/${a.namespace}/${a.name}/${a.urn}`.localeCompare(
      `${b.kind}/${b.namespace}/${b.name}/${b.urn}`,
    ),
  );
  const used = new Set<string>();
  for (const object of objects) {
    const base = fileSafe(`${object.kind}-${object.namespace}-${object.name}`);
    let file = `${base}.yaml`;
    for (let n = 2; used.has(file); n += 1) file = `${base}-${n}.yaml`;
    used.add(file);
    object.file = file;
  }
  return objects;
}

/** YAML that kubectl (a YAML 1.1 reader) reads as the same values: `off` stays a string. */
export function toYaml(value: unknown): string {
  return yamlText(value);
}

/** The resource list of resources.json: everything registered, secrets masked unless revealing. */
export function resourceList(
  result: SynthResult,
  options: RenderOptions = {},
): Array<Record<string, unknown>> {
  // Keys, certificates and UUIDs change on every run; their labels keep the masked output deterministic.
  return result.resources.map((resource) => {
    const entry: Record<string, unknown> = {
      urn: resource.urn,
      type: resource.type,
      name: resource.name,
      parent: resource.parent ?? null,
      dependsOn: resource.dependsOn,
      inputs: shown(resource.inputs, resource.secretPaths, result, options),
      secretPaths: resource.secretPaths,
    };
    if (resource.outputs !== undefined)
      entry.outputs = shown(resource.outputs, resource.outputSecretPaths ?? [], result, options);
    return entry;
  });
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (!isRecord(value)) return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((key) => [key, sortKeys(value[key])]),
  );
}

export function renderFiles(result: SynthResult, options: RenderOptions = {}): Map<string, string> {
  const files = new Map<string, string>();
  for (const object of renderedObjects(result, options)) files.set(object.file, toYaml(object.body));
  const list = { stack: result.stack, controls: result.controls, resources: resourceList(result, options) };
  files.set('resources.json', `${JSON.stringify(sortKeys(list), null, 2)}\n`);
  return files;
}

/** A directory only its owner can enter: created 0700, or an existing one nobody else can read. */
export function privateDirectory(dir: string): void {
  if (existsSync(dir)) {
    if ((statSync(dir).mode & 0o077) !== 0)
      throw new UsageError(
        `--secrets reveal writes into a private directory: ${dir} is open to other users (chmod 700 it or name a new one)`,
      );
    return;
  }
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
}

/**
 * Writes the stack's files into `dir`, first removing the files an earlier render left there.
 * Revealed secrets go to a private directory, every file 0600.
 */
export function writeRender(result: SynthResult, dir: string, options: RenderOptions = {}): string[] {
  const reveal = options.secrets === 'reveal';
  if (reveal) privateDirectory(dir);
  else mkdirSync(dir, { recursive: true });
  for (const file of readdirSync(dir)) {
    if (file.endsWith('.yaml') || file === 'resources.json') rmSync(path.join(dir, file));
  }
  const files = renderFiles(result, options);
  for (const [file, content] of files)
    writeFileSync(path.join(dir, file), content, reveal ? { mode: 0o600 } : undefined);
  return [...files.keys()].sort();
}
