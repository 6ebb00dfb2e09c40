import { asArray, asRecord, asRecords, asString, at, stringMap, type PropertyBag } from './values';

/** Kubernetes object types whose pods the policies inspect, with where the pod template lives. */
const podSpecPaths: Record<string, readonly string[]> = {
  'kubernetes:apps/v1:Deployment': ['spec', 'template', 'spec'],
  'kubernetes:apps/v1:StatefulSet': ['spec', 'template', 'spec'],
  'kubernetes:apps/v1:DaemonSet': ['spec', 'template', 'spec'],
  'kubernetes:apps/v1:ReplicaSet': ['spec', 'template', 'spec'],
  'kubernetes:batch/v1:Job': ['spec', 'template', 'spec'],
  'kubernetes:batch/v1:CronJob': ['spec', 'jobTemplate', 'spec', 'template', 'spec'],
  'kubernetes:core/v1:Pod': ['spec'],
};

/** Workloads that run until stopped (probes make sense for them; not for Jobs). */
const longRunningTypes = new Set([
  'kubernetes:apps/v1:Deployment',
  'kubernetes:apps/v1:StatefulSet',
  'kubernetes:apps/v1:DaemonSet',
  'kubernetes:apps/v1:ReplicaSet',
  'kubernetes:core/v1:Pod',
]);

export const k8sTypes = {
  namespace: 'kubernetes:core/v1:Namespace',
  service: 'kubernetes:core/v1:Service',
  configMap: 'kubernetes:core/v1:ConfigMap',
  secret: 'kubernetes:core/v1:Secret',
  networkPolicy: 'kubernetes:networking.k8s.io/v1:NetworkPolicy',
  ingress: 'kubernetes:networking.k8s.io/v1:Ingress',
  ingressRoute: 'kubernetes:traefik.io/v1alpha1:IngressRoute',
  middleware: 'kubernetes:traefik.io/v1alpha1:Middleware',
  tlsOption: 'kubernetes:traefik.io/v1alpha1:TLSOption',
  serversTransport: 'kubernetes:traefik.io/v1alpha1:ServersTransport',
  certificate: 'kubernetes:cert-manager.io/v1:Certificate',
  serviceMonitor: 'kubernetes:monitoring.coreos.com/v1:ServiceMonitor',
  prometheusRule: 'kubernetes:monitoring.coreos.com/v1:PrometheusRule',
  helmRelease: 'kubernetes:helm.sh/v3:Release',
  cronJob: 'kubernetes:batch/v1:CronJob',
} as const;

export function isLongRunningType(type: string): boolean {
  return longRunningTypes.has(type);
}

export function podSpecOf(type: string, props: PropertyBag): PropertyBag | undefined {
  const path = podSpecPaths[type];
  return path ? asRecord(at(props, ...path)) : undefined;
}

/** Labels of the pods a workload creates. */
export function podLabelsOf(type: string, props: PropertyBag): Record<string, string> {
  if (type === 'kubernetes:core/v1:Pod') return stringMap(at(props, 'metadata', 'labels'));
  const path = podSpecPaths[type];
  if (!path) return {};
  return stringMap(at(props, ...path.slice(0, -1), 'metadata', 'labels'));
}

export interface ObjectMeta {
  name: string | undefined;
  namespace: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export function metadataOf(props: PropertyBag): ObjectMeta {
  const metadata = asRecord(props.metadata) ?? {};
  return {
    name: asString(metadata.name),
    namespace: asString(metadata.namespace) ?? 'default',
    labels: stringMap(metadata.labels),
    annotations: stringMap(metadata.annotations),
  };
}

/** The object of a type with this name in this namespace (namespaces: the name alone). */
export function findObject<T extends { type: string; props: PropertyBag }>(
  resources: readonly T[],
  type: string,
  name: string | undefined,
  namespace?: string,
): T | undefined {
  if (name === undefined) return undefined;
  return resources.find((r) => {
    if (r.type !== type) return false;
    const meta = metadataOf(r.props);
    return meta.name === name && (namespace === undefined || meta.namespace === namespace);
  });
}

export type ContainerKind = 'containers' | 'initContainers' | 'ephemeralContainers';

export interface ContainerRef {
  kind: ContainerKind;
  name: string;
  spec: PropertyBag;
}

export function containersOf(
  podSpec: PropertyBag,
  kinds: readonly ContainerKind[] = ['containers', 'initContainers', 'ephemeralContainers'],
): ContainerRef[] {
  return kinds.flatMap((kind) =>
    asRecords(podSpec[kind]).map((spec, index) => ({
      kind,
      name: asString(spec.name) ?? `#${index}`,
      spec,
    })),
  );
}

export interface EnvEntry {
  name: string;
  /** The literal value, when the program wrote one. */
  value: string | undefined;
  /** True when the value comes from a Secret, ConfigMap, field or resource reference. */
  fromReference: boolean;
}

export function envOf(container: PropertyBag): Map<string, EnvEntry> {
  const env = new Map<string, EnvEntry>();
  for (const entry of asRecords(container.env)) {
    const name = asString(entry.name);
    if (!name) continue;
    // Read lazily: a value unknown during a preview must only blind the policies that need it.
    env.set(name, {
      name,
      get value() {
        return asString(entry.value);
      },
      fromReference: asRecord(entry.valueFrom) !== undefined,
    });
  }
  return env;
}

/** A variable is set when it has a non-blank literal or a reference. */
export function isSet(entry: EnvEntry | undefined): entry is EnvEntry {
  return entry !== undefined && (entry.fromReference || (entry.value ?? '').trim() !== '');
}

/** Kubernetes label selector semantics (matchLabels and matchExpressions). */
export function selectorMatches(selector: unknown, labels: Record<string, string>): boolean {
  const record = asRecord(selector) ?? {};
  for (const [key, value] of Object.entries(stringMap(record.matchLabels))) {
    if (labels[key] !== value) return false;
  }
  for (const expression of asRecords(record.matchExpressions)) {
    const key = asString(expression.key) ?? '';
    const values = asArray(expression.values).map((value) => asString(value));
    const present = key in labels;
    switch (asString(expression.operator)) {
      case 'In':
        if (!present || !values.includes(labels[key])) return false;
        break;
      case 'NotIn':
        if (present && values.includes(labels[key])) return false;
        break;
      case 'Exists':
        if (!present) return false;
        break;
      case 'DoesNotExist':
        if (present) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}

/** A Service selector is a plain map; an empty one selects nothing. */
export function serviceSelects(serviceProps: PropertyBag, labels: Record<string, string>): boolean {
  const selector = stringMap(at(serviceProps, 'spec', 'selector'));
  const entries = Object.entries(selector);
  return entries.length > 0 && entries.every(([key, value]) => labels[key] === value);
}

export function isEmptySelector(selector: unknown): boolean {
  const record = asRecord(selector) ?? {};
  return (
    Object.keys(stringMap(record.matchLabels)).length === 0 && asArray(record.matchExpressions).length === 0
  );
}

/** Text content of a ConfigMap or Secret, keyed by file name (Secret `data` is base64). */
export function filesOf(type: string, props: PropertyBag): Record<string, string> {
  const files: Record<string, string> = {};
  const data = stringMap(props.data);
  for (const [key, value] of Object.entries(data)) {
    files[key] = type === k8sTypes.secret ? Buffer.from(value, 'base64').toString('utf8') : value;
  }
  Object.assign(files, stringMap(props.stringData));
  return files;
}

/** Splits an image reference into repository and tag/digest. */
export function parseImage(image: string): {
  repository: string;
  tag: string | undefined;
  digest: string | undefined;
} {
  const [withoutDigest = '', digest] = image.split('@', 2);
  const slash = withoutDigest.lastIndexOf('/');
  const colon = withoutDigest.lastIndexOf(':');
  if (colon > slash) {
    return { repository: withoutDigest.slice(0, colon), tag: withoutDigest.slice(colon + 1), digest };
  }
  return { repository: withoutDigest, tag: undefined, digest };
}
