// Kubernetes objects and Helm releases read out of recorded resources: the one reader of the offline
// tools, the infra tests and the policy pack's tests. (The pack itself reads the engine's property
// bags with policy/lib/k8s.ts: it runs inside `pulumi preview --policy-pack` and imports no infra.)
import { CONTROLS_ANNOTATION } from '../lib/labels';

/** What every reader needs of a recorded resource (RecordedResource and SynthResource both have it). */
export interface Registration {
  type: string;
  name: string;
  urn: string;
  inputs: Record<string, unknown>;
  custom?: boolean;
  parent?: string;
  /** Read from the cluster (`Resource.get`), not created by the stack. */
  read?: true;
}

/** A resource whose inputs are a Kubernetes manifest. */
export interface KubernetesObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name?: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  [field: string]: unknown;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function record(value: unknown): Record<string, unknown> {
  return isRecord(value) ? value : {};
}

/** `apps/v1:Deployment` from `kubernetes:apps/v1:Deployment`; undefined for Helm releases and the rest. */
export function kubernetesKind(resource: Pick<Registration, 'type'>): string | undefined {
  const match = /^kubernetes:([^:]+):(.+)$/.exec(resource.type);
  if (!match || resource.type.startsWith('kubernetes:helm.sh')) return undefined;
  return `${match[1]!.replace('core/', '')}:${match[2]!}`;
}

export function isHelmRelease(resource: Pick<Registration, 'type'>): boolean {
  return resource.type.startsWith('kubernetes:helm.sh/') && resource.type.endsWith(':Release');
}

/** The manifest of a Kubernetes resource (inputs with apiVersion and kind), else undefined. */
export function asKubernetesObject(
  resource: Pick<Registration, 'type' | 'inputs' | 'read'>,
): KubernetesObject | undefined {
  const { inputs } = resource;
  if (kubernetesKind(resource) === undefined || resource.read) return undefined;
  if (typeof inputs.apiVersion !== 'string' || typeof inputs.kind !== 'string') return undefined;
  return { ...inputs, apiVersion: inputs.apiVersion, kind: inputs.kind, metadata: record(inputs.metadata) };
}

/** The Kubernetes objects the stack creates (components, providers and reads of existing objects left out). */
export function kubernetesObjects<T extends Registration>(resources: readonly T[]): T[] {
  return resources.filter(
    (resource) => resource.custom !== false && !resource.read && kubernetesKind(resource) !== undefined,
  );
}

/** The object name (metadata.name) of a recorded resource. */
export function objectName(resource: Pick<Registration, 'inputs'>): string | undefined {
  const name = record(resource.inputs.metadata).name;
  return typeof name === 'string' ? name : undefined;
}

/** The object of this kind (`Deployment`, or `apps/v1:Deployment`) with this metadata.name. */
export function findObject<T extends Registration>(
  resources: readonly T[],
  kind: string,
  name: string,
): T | undefined {
  return resources.find((resource) => resource.type.endsWith(`:${kind}`) && objectName(resource) === name);
}

/** The controls named by an object's `secure-workshop.dev/controls` annotation. */
export function controlsOf(object: { metadata?: unknown }): string[] {
  const raw = record(record(object.metadata).annotations)[CONTROLS_ANNOTATION];
  return typeof raw === 'string'
    ? raw
        .split(',')
        .map((id) => id.trim())
        .filter(Boolean)
    : [];
}

/** Kinds whose pods a controller creates from a template (CronJob: one level deeper). */
export const WORKLOAD_KINDS = ['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job', 'CronJob'];

/** The pod template (metadata and spec) of a workload, or an empty one for anything else. */
export function podTemplateOf(object: { kind?: unknown; spec?: unknown }): Record<string, unknown> {
  const spec = record(object.spec);
  if (object.kind === 'CronJob') return record(record(record(spec.jobTemplate).spec).template);
  return record(spec.template);
}

/** Text content of a ConfigMap or Secret by key (a Secret's `data` is base64), `stringData` over `data`. */
export function dataOf(object: {
  kind?: unknown;
  data?: unknown;
  stringData?: unknown;
}): Record<string, string> {
  const strings = (value: unknown) =>
    Object.entries(record(value)).filter((entry): entry is [string, string] => typeof entry[1] === 'string');
  return Object.fromEntries([
    ...strings(object.data).map(([key, value]) =>
      object.kind === 'Secret' ? [key, Buffer.from(value, 'base64').toString('utf8')] : [key, value],
    ),
    ...strings(object.stringData),
  ]);
}

/** One resource as the policy pack's offline runner (policy/run.ts) takes it. */
export interface PolicyInput {
  type: string;
  name: string;
  urn: string;
  props: Record<string, unknown>;
  parent?: string;
}

/** Recorded resources as the engine would hand them to the policy pack: their inputs are the props. */
export function policyInputs(resources: readonly Registration[]): PolicyInput[] {
  return resources.map(({ type, name, urn, inputs, parent }) => ({
    type,
    name,
    urn,
    props: inputs,
    ...(parent === undefined ? {} : { parent }),
  }));
}
