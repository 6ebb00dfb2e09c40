import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { stringify } from 'yaml';
import { asKubernetesObject, isHelmRelease, isRecord, type SynthResource, type SynthResult } from './model';
import { labelGeneratedValues, maskSecrets } from './secrets';

export const CLUSTER_SCOPE = 'cluster';

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

export function helmReleaseBody(resource: SynthResource): Record<string, unknown> {
  const inputs = maskSecrets(resource.inputs, resource.secretPaths);
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

/** Every Kubernetes object and Helm release of a synthesis, masked, with stable unique file names. */
export function renderedObjects(result: SynthResult): RenderedObject[] {
  const objects: RenderedObject[] = [];
  for (const resource of result.resources) {
    const manifest = asKubernetesObject(resource);
    if (manifest !== undefined) {
      const body = labelGeneratedValues(
        maskSecrets(manifest as Record<string, unknown>, resource.secretPaths),
        result.generatedValues,
      );
      objects.push({
        file: '',
        kind: manifest.kind,
        namespace: manifest.metadata.namespace ?? CLUSTER_SCOPE,
        name: manifest.metadata.name ?? resource.name,
        urn: resource.urn,
        body,
      });
    } else if (isHelmRelease(resource)) {
      const body = labelGeneratedValues(helmReleaseBody(resource), result.generatedValues);
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

export function toYaml(value: unknown): string {
  return stringify(value, { sortMapEntries: true, lineWidth: 0 });
}

/** The resource list of resources.json: everything registered, secrets masked. */
export function resourceList(result: SynthResult): Array<Record<string, unknown>> {
  const list = result.resources.map((resource) => {
    const entry: Record<string, unknown> = {
      urn: resource.urn,
      type: resource.type,
      name: resource.name,
      parent: resource.parent ?? null,
      dependsOn: resource.dependsOn,
      inputs: maskSecrets(resource.inputs, resource.secretPaths),
      secretPaths: resource.secretPaths,
    };
    if (resource.outputs !== undefined) entry.outputs = resource.outputs;
    return entry;
  });
  // Keys, certificates and UUIDs change on every run; their labels keep the output deterministic.
  return labelGeneratedValues(list, result.generatedValues);
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

export function renderFiles(result: SynthResult): Map<string, string> {
  const files = new Map<string, string>();
  for (const object of renderedObjects(result)) files.set(object.file, toYaml(object.body));
  const list = { stack: result.stack, controls: result.controls, resources: resourceList(result) };
  files.set('resources.json', `${JSON.stringify(sortKeys(list), null, 2)}\n`);
  return files;
}

/** Writes the stack's files into `dir`, first removing the files an earlier render left there. */
export function writeRender(result: SynthResult, dir: string): string[] {
  mkdirSync(dir, { recursive: true });
  for (const file of readdirSync(dir)) {
    if (file.endsWith('.yaml') || file === 'resources.json') rmSync(path.join(dir, file));
  }
  const files = renderFiles(result);
  for (const [file, content] of files) writeFileSync(path.join(dir, file), content);
  return [...files.keys()].sort();
}
