import {
  containersOf,
  envOf,
  filesOf,
  findObject,
  k8sTypes,
  metadataOf,
  podLabelsOf,
  podSpecOf,
  type ContainerRef,
  type EnvEntry,
  type ObjectMeta,
} from './k8s';
import { workloadRole, type WorkloadRole } from './roles';
import { asRecord, asRecords, asString, at, type PropertyBag } from './values';

export interface ResourceLike {
  type: string;
  urn: string;
  props: PropertyBag;
}

/** A pod-creating object with what most policies ask of it. */
export interface Workload {
  type: string;
  urn: string;
  props: PropertyBag;
  meta: ObjectMeta;
  podSpec: PropertyBag;
  podLabels: Record<string, string>;
  role: WorkloadRole | undefined;
  containers: ContainerRef[];
  /** Human name for messages, e.g. `Deployment workshop-end/api`. */
  label: string;
}

export function kindOf(type: string): string {
  return type.split(':').pop() ?? type;
}

export function describe(resource: { type: string; props: PropertyBag }): string {
  const meta = metadataOf(resource.props);
  return `${kindOf(resource.type)} ${meta.namespace}/${meta.name ?? '(unnamed)'}`;
}

export function workloadOf(resource: ResourceLike): Workload | undefined {
  const podSpec = podSpecOf(resource.type, resource.props);
  if (!podSpec) return undefined;
  return {
    type: resource.type,
    urn: resource.urn,
    props: resource.props,
    meta: metadataOf(resource.props),
    podSpec,
    podLabels: podLabelsOf(resource.type, resource.props),
    role: workloadRole(resource.type, resource.props),
    containers: containersOf(podSpec),
    label: describe(resource),
  };
}

export interface RoleContainer {
  /** `Deployment ns/api container "api"`, for messages. */
  where: string;
  env: Map<string, EnvEntry>;
}

/** The main containers of a resource that is a workload with this role (none otherwise). */
export function roleContainers(resource: ResourceLike, role: WorkloadRole): RoleContainer[] {
  const workload = workloadOf(resource);
  if (workload?.role !== role) return [];
  return workload.containers
    .filter((container) => container.kind === 'containers')
    .map((container) => ({
      where: `${workload.label} container "${container.name}"`,
      env: envOf(container.spec),
    }));
}

export function workloadsOf(resources: readonly ResourceLike[]): Workload[] {
  return resources.flatMap((resource) => {
    const workload = workloadOf(resource);
    return workload ? [workload] : [];
  });
}

/**
 * Text of the file a container sees at `filePath`, when it comes from a ConfigMap or Secret of the
 * stack mounted as a volume (items mappings and subPath are followed); undefined otherwise.
 */
export function mountedFileText(
  resources: readonly ResourceLike[],
  workload: Workload,
  container: PropertyBag,
  filePath: string,
): string | undefined {
  for (const mount of asRecords(container.volumeMounts)) {
    const mountPath = (asString(mount.mountPath) ?? '').replace(/\/$/, '');
    if (!filePath.startsWith(`${mountPath}/`)) continue;
    const relative = [asString(mount.subPath), filePath.slice(mountPath.length + 1)]
      .filter(Boolean)
      .join('/');
    const volume = asRecords(workload.podSpec.volumes).find((v) => asString(v.name) === asString(mount.name));
    if (!volume) continue;
    const sources = [
      {
        type: k8sTypes.secret,
        source: asRecord(volume.secret),
        name: asString(at(volume, 'secret', 'secretName')),
      },
      {
        type: k8sTypes.configMap,
        source: asRecord(volume.configMap),
        name: asString(at(volume, 'configMap', 'name')),
      },
    ];
    for (const { type, source, name } of sources) {
      if (!source) continue;
      const items = asRecords(source.items);
      const key =
        items.length > 0 ? asString(items.find((item) => asString(item.path) === relative)?.key) : relative;
      const object = findObject(resources, type, name, workload.meta.namespace);
      if (key !== undefined && object) return filesOf(type, object.props)[key];
    }
  }
  return undefined;
}
