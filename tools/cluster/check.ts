// `cluster check`: every step's objects applied in order with server-side apply as updates of one
// set of namespaces, objects a step drops deleted (as `pulumi up` would), zero errors and zero
// warnings; the pods the controllers create admitted and Running/Ready or Completed; the program's
// patches (the Pod Security labels) applied after the workloads they depend on; a privileged root pod
// refused by Pod Security in the namespace of the last step's workloads.
import { ApiError, FIELD_MANAGER, type KubeObject, type Kube, WaitAborted, waitFor } from './kube';
import type { HelmRelease, RenderedPatch } from './steps';

/** Helm's install order (pkg/releaseutil/kind_sorter.go); custom resources come last. */
const KIND_ORDER = [
  'PriorityClass',
  'Namespace',
  'NetworkPolicy',
  'ResourceQuota',
  'LimitRange',
  'PodDisruptionBudget',
  'ServiceAccount',
  'Secret',
  'ConfigMap',
  'StorageClass',
  'PersistentVolume',
  'PersistentVolumeClaim',
  'CustomResourceDefinition',
  'ClusterRole',
  'ClusterRoleBinding',
  'Role',
  'RoleBinding',
  'Service',
  'DaemonSet',
  'Pod',
  'ReplicationController',
  'ReplicaSet',
  'Deployment',
  'HorizontalPodAutoscaler',
  'StatefulSet',
  'Job',
  'CronJob',
  'IngressClass',
  'Ingress',
  'APIService',
];

export function applyOrder(objects: readonly KubeObject[]): KubeObject[] {
  const rank = (kind: string) => {
    const index = KIND_ORDER.indexOf(kind);
    return index === -1 ? KIND_ORDER.length : index;
  };
  return [...objects].sort((a, b) => rank(a.kind) - rank(b.kind) || objectKey(a).localeCompare(objectKey(b)));
}

/** Identity of an object across steps: group (not version), kind, namespace, name. */
export function objectKey(object: Pick<KubeObject, 'apiVersion' | 'kind' | 'metadata'>): string {
  const group = object.apiVersion.includes('/') ? object.apiVersion.split('/')[0] : '';
  return `${group}/${object.kind}/${object.metadata.namespace ?? ''}/${object.metadata.name}`;
}

export function describe(object: Pick<KubeObject, 'kind' | 'metadata'>): string {
  const ns = object.metadata.namespace;
  return `${object.kind.toLowerCase()}/${ns === undefined ? '' : `${ns}/`}${object.metadata.name}`;
}

export interface Finding {
  object: string;
  message: string;
}

export interface StepReport {
  name: string;
  applied: number;
  /** The program's patches, applied last: `<patch resource> -> <object>`. */
  patched: string[];
  pruned: string[];
  replaced: string[];
  errors: Finding[];
  warnings: Finding[];
  workloads: Finding[];
  workloadFailures: Finding[];
  skippedHelmReleases: HelmRelease[];
}

const IMMUTABLE = /field is immutable|may not be changed|Forbidden: updates to .* are forbidden/i;

async function applyWithReplace(kube: Kube, object: KubeObject, report: StepReport, replacing = false) {
  const name = describe(object);
  try {
    const { warnings } = await kube.apply(object);
    for (const message of warnings) report.warnings.push({ object: name, message });
    report.applied += 1;
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    for (const message of error.warnings) report.warnings.push({ object: name, message });
    if (error.status === 422 && IMMUTABLE.test(error.message) && !replacing) {
      // The provider replaces an object whose immutable fields change: delete, then create.
      const { apiVersion, kind, metadata } = object;
      for (const message of await kube.delete(apiVersion, kind, metadata.namespace, metadata.name))
        report.warnings.push({ object: name, message });
      await waitFor(`${name} to be deleted before its replacement`, async () =>
        (await kube.gone(apiVersion, kind, metadata.namespace, metadata.name)) ? true : undefined,
      );
      report.replaced.push(name);
      await applyWithReplace(kube, object, report, true);
      return;
    }
    report.errors.push({ object: name, message: error.message });
  }
}

interface Conditioned {
  metadata: { generation?: number; uid?: string };
  spec?: { replicas?: number };
  status?: {
    observedGeneration?: number;
    replicas?: number;
    readyReplicas?: number;
    updatedReplicas?: number;
    availableReplicas?: number;
    conditions?: Array<{ type: string; status: string; message?: string }>;
  };
}

/** Done, with a one-line description, or undefined while the controller is still working. */
export function workloadDone(kind: string, current: Conditioned): string | undefined {
  const status = current.status ?? {};
  const conditions = status.conditions ?? [];
  if (kind === 'Job') {
    const failed = conditions.find((c) => c.type === 'Failed' && c.status === 'True');
    if (failed !== undefined) throw new WaitAborted(`failed: ${failed.message ?? ''}`);
    return conditions.some((c) => c.type === 'Complete' && c.status === 'True') ? 'Complete' : undefined;
  }
  const want = current.spec?.replicas ?? 1;
  if ((status.observedGeneration ?? 0) < (current.metadata.generation ?? 0)) return undefined;
  const ready = status.readyReplicas ?? 0;
  const updated = status.updatedReplicas ?? 0;
  const extra = (status.replicas ?? 0) - want;
  if (ready < want || updated < want || extra > 0) return undefined;
  return `Ready ${ready}/${want}`;
}

/** The latest Warning event about a workload and the objects named after it (ReplicaSets, Pods). */
async function warningEvents(kube: Kube, namespace: string, name: string): Promise<string> {
  const events = await kube
    .list<{
      type?: string;
      reason?: string;
      message?: string;
      involvedObject?: { name?: string };
      lastTimestamp?: string;
    }>('v1', 'Event', namespace)
    .catch(() => []);
  const related = events
    .filter((e) => e.type === 'Warning' && (e.involvedObject?.name ?? '').startsWith(name))
    .slice(-1)
    .map((e) => `${e.reason}: ${e.message}`);
  return related.length > 0 ? `; events: ${related.join(' | ')}` : '; no Warning event';
}

async function waitForWorkload(
  kube: Kube,
  object: KubeObject,
  timeoutMs: number,
): Promise<{ ok: true; message: string } | { ok: false; message: string }> {
  const { apiVersion, kind, metadata } = object;
  try {
    const message = await waitFor(
      `${describe(object)}`,
      async () =>
        workloadDone(kind, await kube.get<Conditioned>(apiVersion, kind, metadata.namespace, metadata.name)),
      { timeoutMs, intervalMs: 500 },
    );
    return { ok: true, message };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return {
      ok: false,
      message: message + (await warningEvents(kube, metadata.namespace ?? 'default', metadata.name)),
    };
  }
}

/**
 * A Job made from a CronJob's template, as `kubectl create job --from=cronjob/<name>` makes it but
 * not controlled by the CronJob: with successfulJobsHistoryLimit 0 the CronJob controller would
 * delete it the moment it completes, before anyone sees it complete. The check deletes it instead.
 */
export function jobFromCronJob(cronJob: KubeObject & { metadata: { uid?: string } }): KubeObject {
  const template = (cronJob.spec as { jobTemplate?: { metadata?: Record<string, unknown>; spec?: unknown } })
    .jobTemplate;
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      ...(template?.metadata ?? {}),
      name: `${cronJob.metadata.name}-check`.slice(0, 63),
      namespace: cronJob.metadata.namespace as string,
      annotations: {
        ...((template?.metadata?.annotations as Record<string, string> | undefined) ?? {}),
        'cronjob.kubernetes.io/instantiate': 'manual',
      },
      ownerReferences: [
        {
          apiVersion: 'batch/v1',
          kind: 'CronJob',
          name: cronJob.metadata.name,
          uid: cronJob.metadata.uid as string,
        },
      ],
    },
    spec: template?.spec ?? {},
  };
}

async function runCronJob(kube: Kube, cronJob: KubeObject, timeoutMs: number, report: StepReport) {
  const name = describe(cronJob);
  const current = await kube.get<KubeObject & { metadata: { uid?: string } }>(
    'batch/v1',
    'CronJob',
    cronJob.metadata.namespace,
    cronJob.metadata.name,
  );
  const job = jobFromCronJob(current);
  try {
    const { warnings } = await kube.create(job);
    for (const message of warnings) report.warnings.push({ object: describe(job), message });
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    report.workloadFailures.push({ object: name, message: `cannot start a Job from it: ${error.message}` });
    return;
  }
  const result = await waitForWorkload(kube, job, timeoutMs);
  (result.ok ? report.workloads : report.workloadFailures).push({
    object: name,
    message: result.ok ? `job ${job.metadata.name} ${result.message}` : result.message,
  });
  // As the history limit of 0 would: no finished Job and none of its pods stay (foreground delete).
  await kube.delete('batch/v1', 'Job', job.metadata.namespace, job.metadata.name);
  await waitFor(`${describe(job)} to be deleted`, async () =>
    (await kube.gone('batch/v1', 'Job', job.metadata.namespace, job.metadata.name)) ? true : undefined,
  );
}

/** The field manager of a patch resource: its own, as the provider gives each patch its own. */
export const patchFieldManager = (patch: RenderedPatch) => `${FIELD_MANAGER}-${patch.name}`;

/** Only the identity of a patch's target: applied with the patch's manager, it gives its fields up. */
export function relinquished(patch: RenderedPatch): KubeObject {
  const { apiVersion, kind, metadata } = patch.object;
  return {
    apiVersion,
    kind,
    metadata: {
      name: metadata.name,
      ...(metadata.namespace === undefined ? {} : { namespace: metadata.namespace }),
    },
  };
}

async function applyPatch(kube: Kube, patch: RenderedPatch, body: KubeObject, report: StepReport) {
  const name = `${describe(patch.object)} (patch ${patch.name})`;
  try {
    const { warnings } = await kube.apply(body, patchFieldManager(patch));
    for (const message of warnings) report.warnings.push({ object: name, message });
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    for (const message of error.warnings) report.warnings.push({ object: name, message });
    report.errors.push({ object: name, message: error.message });
  }
}

export interface StepInput {
  name: string;
  objects: KubeObject[];
  patches: RenderedPatch[];
  helmReleases: HelmRelease[];
}

/**
 * Applies one step as an update of the previous one, in the program's order: every object by
 * server-side apply (its patched fields left out), then the objects and patches the previous step
 * had and this one lacks deleted or given up; waits for the workloads; then applies the patches,
 * which depend on those workloads (the Pod Security labels rise only once hardened pods run).
 */
export async function applyStep(
  kube: Kube,
  step: StepInput,
  previous: Pick<StepInput, 'objects' | 'patches'>,
  { workloadTimeoutMs = 180_000 } = {},
): Promise<StepReport> {
  const report: StepReport = {
    name: step.name,
    applied: 0,
    patched: [],
    pruned: [],
    replaced: [],
    errors: [],
    warnings: [],
    workloads: [],
    workloadFailures: [],
    skippedHelmReleases: step.helmReleases,
  };
  // Helm creates a release's namespace (createNamespace); the stack's objects may live in it.
  const namespaces = new Set(step.objects.filter((o) => o.kind === 'Namespace').map((o) => o.metadata.name));
  for (const release of step.helmReleases.filter((r) => !namespaces.has(r.namespace)))
    await applyWithReplace(
      kube,
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: release.namespace } },
      report,
    );
  for (const object of applyOrder(step.objects)) await applyWithReplace(kube, object, report);

  const keptPatches = new Set(step.patches.map((patch) => patch.name));
  for (const patch of previous.patches.filter((p) => !keptPatches.has(p.name))) {
    await applyPatch(kube, patch, relinquished(patch), report);
    report.pruned.push(`patch ${patch.name} (its fields given up)`);
  }
  const keep = new Set(step.objects.map(objectKey));
  for (const object of applyOrder(previous.objects).reverse()) {
    if (keep.has(objectKey(object))) continue;
    const { apiVersion, kind, metadata } = object;
    try {
      for (const message of await kube.delete(apiVersion, kind, metadata.namespace, metadata.name))
        report.warnings.push({ object: describe(object), message });
      report.pruned.push(describe(object));
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      report.errors.push({ object: describe(object), message: `delete: ${error.message}` });
    }
  }

  const workloads = step.objects.filter((o) => ['Deployment', 'StatefulSet', 'Job'].includes(o.kind));
  const cronJobs = step.objects.filter((o) => o.kind === 'CronJob');
  await Promise.all([
    ...workloads.map(async (object) => {
      const result = await waitForWorkload(kube, object, workloadTimeoutMs);
      (result.ok ? report.workloads : report.workloadFailures).push({
        object: describe(object),
        message: result.message,
      });
    }),
    ...cronJobs.map((cronJob) => runCronJob(kube, cronJob, workloadTimeoutMs, report)),
  ]);

  for (const patch of step.patches) {
    await applyPatch(kube, patch, patch.object, report);
    report.patched.push(`${patch.name} -> ${describe(patch.object)}`);
  }
  return report;
}

/** A pod every Pod Security level above `privileged` refuses: privileged, root, host network. */
export function nonCompliantPod(namespace: string): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'pod-security-check', namespace },
    spec: {
      hostNetwork: true,
      containers: [
        {
          name: 'root',
          image: 'busybox:1.36',
          securityContext: { privileged: true, runAsUser: 0, allowPrivilegeEscalation: true },
        },
      ],
    },
  };
}

/** Ok when Pod Security refuses the pod; a failure when it is admitted or refused for another reason. */
export async function expectRefused(
  kube: Kube,
  namespace: string,
): Promise<{ ok: boolean; message: string }> {
  const pod = nonCompliantPod(namespace);
  try {
    await kube.create(pod);
  } catch (error) {
    if (error instanceof ApiError && error.status === 403 && /violates PodSecurity/.test(error.message))
      return { ok: true, message: error.message.replace(/^POST \S+: /, '') };
    const message = error instanceof Error ? error.message : String(error);
    return { ok: false, message: `refused, but not by Pod Security: ${message}` };
  }
  await kube.delete('v1', 'Pod', namespace, pod.metadata.name);
  return { ok: false, message: `a privileged root pod was admitted into ${namespace}` };
}

/** The namespaces of a step's own workloads (where the stack's pods run). */
export function workloadNamespaces(objects: readonly KubeObject[]): string[] {
  return [
    ...new Set(
      objects
        .filter((o) => ['Deployment', 'StatefulSet', 'Job', 'CronJob'].includes(o.kind))
        .map((o) => o.metadata.namespace ?? 'default'),
    ),
  ].sort();
}
