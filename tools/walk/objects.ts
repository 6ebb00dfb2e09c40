// The objects of one rendered step (`npm run render -- <stack> --out DIR --secrets reveal`), as the
// API server would hold them after `pulumi up`: looked up by kind and name, Secret and ConfigMap data
// decoded, and the stack's generated values (resources.json) at hand.
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parse as parseYaml } from 'yaml';

/** A Kubernetes object as rendered: only the fields the walk reads are typed. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; annotations?: Record<string, string> };
  spec?: Record<string, unknown>;
  data?: Record<string, string>;
  stringData?: Record<string, string>;
  [field: string]: unknown;
}

interface RenderedResource {
  urn: string;
  type: string;
  name: string;
  inputs?: unknown;
  dependsOn?: string[];
  outputs?: Record<string, unknown>;
}

export class WalkError extends Error {
  override readonly name = 'WalkError';
}

/** Short names as `kubectl get` takes them, for the guide's commands. */
const KIND_ALIASES: Record<string, string> = {
  deploy: 'Deployment',
  deployment: 'Deployment',
  sts: 'StatefulSet',
  statefulset: 'StatefulSet',
  job: 'Job',
  cronjob: 'CronJob',
  cj: 'CronJob',
  svc: 'Service',
  service: 'Service',
  secret: 'Secret',
  cm: 'ConfigMap',
  configmap: 'ConfigMap',
  certificate: 'Certificate',
  networkpolicy: 'NetworkPolicy',
  netpol: 'NetworkPolicy',
};

export function kindOf(alias: string): string {
  const kind = KIND_ALIASES[alias.toLowerCase()];
  if (kind === undefined)
    throw new WalkError(`unknown kind '${alias}' (known: ${Object.keys(KIND_ALIASES).join(', ')})`);
  return kind;
}

export class RenderedStep {
  constructor(
    readonly dir: string,
    readonly namespace: string,
    readonly objects: readonly KubeObject[],
    private readonly resources: readonly RenderedResource[],
  ) {}

  static load(dir: string, namespace: string): RenderedStep {
    const objects: KubeObject[] = [];
    for (const file of readdirSync(dir).sort()) {
      if (!file.endsWith('.yaml')) continue;
      const parsed: unknown = parseYaml(readFileSync(path.join(dir, file), 'utf8'));
      if (typeof parsed === 'object' && parsed !== null && 'kind' in parsed)
        objects.push(parsed as KubeObject);
    }
    const listing = JSON.parse(readFileSync(path.join(dir, 'resources.json'), 'utf8')) as {
      resources: RenderedResource[];
    };
    return new RenderedStep(dir, namespace, objects, listing.resources);
  }

  /** Objects of a kind in `namespace` (the step's by default; null for cluster-scoped objects). */
  all(kind: string, namespace: string | null = this.namespace): KubeObject[] {
    return this.objects.filter(
      (object) => object.kind === kind && (object.metadata.namespace ?? null) === namespace,
    );
  }

  find(kind: string, name: string, namespace: string | null = this.namespace): KubeObject | undefined {
    return this.all(kind, namespace).find((object) => object.metadata.name === name);
  }

  get(kind: string, name: string, namespace: string | null = this.namespace): KubeObject {
    const object = this.find(kind, name, namespace);
    if (object === undefined)
      throw new WalkError(`this step has no ${kind} ${namespace === null ? '' : `${namespace}/`}${name}`);
    return object;
  }

  /** Decoded data of a Secret or ConfigMap (stringData wins over data, as the API server merges them). */
  dataOf(kind: 'Secret' | 'ConfigMap', name: string, namespace?: string): Record<string, string> | undefined {
    const object = this.find(kind, name, namespace);
    if (object === undefined) return undefined;
    return objectData(object);
  }

  /** An output of a generated resource in resources.json (e.g. a RandomPassword's `result`). */
  output(type: string, name: string, field: string): string {
    const resource = this.resources.find((entry) => entry.type === type && entry.name === name);
    const value = resource?.outputs?.[field];
    if (typeof value !== 'string') throw new WalkError(`resources.json has no ${type} ${name}.${field}`);
    return value;
  }

  /**
   * The step's workloads (StatefulSets, Jobs, Deployments) in the order `pulumi up` creates them:
   * each after every workload it depends on, directly or through other resources (resources.json).
   */
  workloadsInOrder(): KubeObject[] {
    const kinds = ['StatefulSet', 'Job', 'Deployment'];
    const workloads = this.objects.filter(
      (object) => kinds.includes(object.kind) && object.metadata.namespace === this.namespace,
    );
    const byUrn = new Map(this.resources.map((resource) => [resource.urn, resource]));
    const urnOf = (object: KubeObject) =>
      this.resources.find(
        (resource) =>
          resource.type.endsWith(`:${object.kind}`) &&
          (resource.inputs as { metadata?: { name?: string } } | undefined)?.metadata?.name ===
            object.metadata.name,
      )?.urn;
    const needs = new Map<KubeObject, Set<string>>();
    for (const workload of workloads) {
      const seen = new Set<string>();
      const stack = [...(byUrn.get(urnOf(workload) ?? '')?.dependsOn ?? [])];
      while (stack.length > 0) {
        const urn = stack.pop() as string;
        if (seen.has(urn)) continue;
        seen.add(urn);
        stack.push(...(byUrn.get(urn)?.dependsOn ?? []));
      }
      needs.set(workload, seen);
    }
    const ordered: KubeObject[] = [];
    const rank = (object: KubeObject) => kinds.indexOf(object.kind);
    const pending = [...workloads].sort(
      (a, b) => rank(a) - rank(b) || a.metadata.name.localeCompare(b.metadata.name),
    );
    while (pending.length > 0) {
      const index = pending.findIndex((candidate) =>
        pending.every((other) => other === candidate || !needs.get(candidate)?.has(urnOf(other) ?? '')),
      );
      if (index === -1) throw new WalkError('the workloads depend on each other in a cycle');
      ordered.push(...pending.splice(index, 1));
    }
    return ordered;
  }

  /** Every generated string value of the step: what output lines must never show. */
  secretValues(): string[] {
    const values = new Set<string>();
    for (const object of this.objects) {
      if (object.kind !== 'Secret') continue;
      for (const value of Object.values(objectData(object))) values.add(value);
    }
    for (const resource of this.resources) {
      if (!resource.type.startsWith('random:') && !resource.type.startsWith('tls:')) continue;
      for (const [field, value] of Object.entries(resource.outputs ?? {})) {
        if (typeof value === 'string' && /result|private|b64|hex|pem/i.test(field)) values.add(value);
      }
    }
    return [...values].filter((value) => value.length >= 6);
  }
}

export function objectData(object: KubeObject): Record<string, string> {
  const data: Record<string, string> = {};
  const binary = object.kind === 'Secret';
  for (const [key, value] of Object.entries(object.data ?? {})) {
    data[key] = binary ? Buffer.from(value, 'base64').toString('utf8') : value;
  }
  for (const [key, value] of Object.entries(object.stringData ?? {})) data[key] = value;
  return data;
}
