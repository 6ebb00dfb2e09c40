import { metadataOf, parseImage, podSpecOf, containersOf, podLabelsOf } from './k8s';
import { asString, type PropertyBag } from './values';

/** The parts of the architecture some policies must tell apart (CONTRACTS.md object names). */
export type WorkloadRole = 'api' | 'postgres' | 'firewall' | 'reconciler' | 'migrate' | 'backup';

const roleNames: Record<string, WorkloadRole> = {
  api: 'api',
  postgres: 'postgres',
  postgresql: 'postgres',
  jumpwire: 'firewall',
  reconciler: 'reconciler',
  migrate: 'migrate',
  backup: 'backup',
};

const roleLabelKeys = ['app.kubernetes.io/name', 'app.kubernetes.io/component', 'app'];

/** Role from the object's name or its labels (also used for Services). */
export function namedRole(
  props: PropertyBag,
  extraLabels: Record<string, string> = {},
): WorkloadRole | undefined {
  const meta = metadataOf(props);
  const byName = meta.name ? roleNames[meta.name] : undefined;
  if (byName) return byName;
  const labels = { ...meta.labels, ...extraLabels };
  for (const key of roleLabelKeys) {
    const value = labels[key];
    const role = value ? roleNames[value] : undefined;
    if (role) return role;
  }
  return undefined;
}

/**
 * Role of a workload: by object name first, then by the usual labels, then by image for the two
 * third-party servers. Unknown workloads get no role and are judged only by generic policies.
 */
export function workloadRole(type: string, props: PropertyBag): WorkloadRole | undefined {
  const named = namedRole(props, podLabelsOf(type, props));
  if (named) return named;
  const podSpec = podSpecOf(type, props);
  if (!podSpec) return undefined;
  const repositories = containersOf(podSpec, ['containers']).map(
    (container) => parseImage(asString(container.spec.image) ?? '').repository,
  );
  if (repositories.some((repository) => /(^|\/)jumpwire$/.test(repository))) return 'firewall';
  const runsServer = containersOf(podSpec, ['containers']).some(
    (container) =>
      /(^|\/)postgres$/.test(parseImage(asString(container.spec.image) ?? '').repository) &&
      container.spec.command === undefined,
  );
  if (runsServer && type !== 'kubernetes:batch/v1:Job' && type !== 'kubernetes:batch/v1:CronJob')
    return 'postgres';
  return undefined;
}
