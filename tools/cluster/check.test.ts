// The check's own rules: apply order, object identity across steps, when a workload is done.
import { describe, expect, it } from 'vitest';
import {
  applyOrder,
  jobFromCronJob,
  nonCompliantPod,
  objectKey,
  patchFieldManager,
  relinquished,
  workloadDone,
  workloadNamespaces,
} from './check';
import type { KubeObject } from './kube';

const object = (kind: string, name: string, namespace?: string, apiVersion = 'v1'): KubeObject => ({
  apiVersion,
  kind,
  metadata: { name, ...(namespace === undefined ? {} : { namespace }) },
});

describe('applyOrder', () => {
  it('puts namespaces first, secrets before workloads, custom resources last', () => {
    const sorted = applyOrder([
      object('Middleware', 'm', 'ns', 'traefik.io/v1alpha1'),
      object('Deployment', 'api', 'ns', 'apps/v1'),
      object('Secret', 's', 'ns'),
      object('Namespace', 'ns'),
    ]);
    expect(sorted.map((o) => o.kind)).toEqual(['Namespace', 'Secret', 'Deployment', 'Middleware']);
  });
});

describe('objectKey', () => {
  it('ignores the API version, so a version move is an update and not a delete', () => {
    expect(objectKey(object('CronJob', 'r', 'ns', 'batch/v1'))).toBe(
      objectKey(object('CronJob', 'r', 'ns', 'batch/v1beta1')),
    );
    expect(objectKey(object('Secret', 'a', 'x'))).not.toBe(objectKey(object('Secret', 'a', 'y')));
  });
});

describe('workloadDone', () => {
  it('waits for the controller to see the new generation and every replica to be ready', () => {
    const deployment = (status: Record<string, number>) => ({
      metadata: { generation: 2 },
      spec: { replicas: 2 },
      status,
    });
    expect(
      workloadDone('Deployment', deployment({ observedGeneration: 1, readyReplicas: 2, updatedReplicas: 2 })),
    ).toBeUndefined();
    expect(
      workloadDone('Deployment', deployment({ observedGeneration: 2, readyReplicas: 2, updatedReplicas: 1 })),
    ).toBeUndefined();
    expect(
      workloadDone(
        'Deployment',
        deployment({ observedGeneration: 2, readyReplicas: 2, updatedReplicas: 2, replicas: 3 }),
      ),
    ).toBeUndefined();
    expect(
      workloadDone(
        'Deployment',
        deployment({ observedGeneration: 2, readyReplicas: 2, updatedReplicas: 2, replicas: 2 }),
      ),
    ).toBe('Ready 2/2');
  });

  it('calls a Job done when Complete and throws when Failed', () => {
    const job = (type: string) => ({
      metadata: {},
      status: { conditions: [{ type, status: 'True', message: 'm' }] },
    });
    expect(workloadDone('Job', job('Complete'))).toBe('Complete');
    expect(() => workloadDone('Job', job('Failed'))).toThrow(/failed: m/);
    expect(workloadDone('Job', { metadata: {} })).toBeUndefined();
  });
});

describe('jobFromCronJob', () => {
  it('makes the Job the CronJob controller would, owned by the CronJob but not controlled by it', () => {
    const job = jobFromCronJob({
      ...object('CronJob', 'reconciler', 'ns', 'batch/v1'),
      metadata: { name: 'reconciler', namespace: 'ns', uid: 'u-1' },
      spec: { jobTemplate: { metadata: { labels: { a: 'b' } }, spec: { template: { spec: {} } } } },
    });
    expect(job).toMatchObject({
      kind: 'Job',
      metadata: {
        name: 'reconciler-check',
        namespace: 'ns',
        labels: { a: 'b' },
        ownerReferences: [{ kind: 'CronJob', name: 'reconciler', uid: 'u-1' }],
      },
      spec: { template: { spec: {} } },
    });
    // Controlled, it would be deleted by the CronJob controller (history limit 0) as it completes.
    expect(job.metadata.ownerReferences).toEqual([expect.not.objectContaining({ controller: true })]);
  });
});

describe('patches', () => {
  const patch = {
    name: 'namespace-pod-security',
    object: { ...object('Namespace', 'ns'), metadata: { name: 'ns', labels: { enforce: 'restricted' } } },
  };
  it('apply with a field manager of their own and give their fields up with their identity alone', () => {
    expect(patchFieldManager(patch)).toBe('secure-workshop-check-namespace-pod-security');
    expect(relinquished(patch)).toEqual({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'ns' } });
  });
});

describe('the Pod Security probe', () => {
  it('is privileged and root, so baseline and restricted both refuse it', () => {
    const pod = nonCompliantPod('ns');
    const container = (pod.spec as { containers: Array<{ securityContext: Record<string, unknown> }> })
      .containers[0];
    expect(container?.securityContext).toMatchObject({ privileged: true, runAsUser: 0 });
    expect(pod.metadata.namespace).toBe('ns');
  });

  it('goes to the namespaces of the workloads', () => {
    expect(
      workloadNamespaces([
        object('Namespace', 'a'),
        object('Deployment', 'api', 'a', 'apps/v1'),
        object('CronJob', 'r', 'b', 'batch/v1'),
        object('Secret', 's', 'c'),
      ]),
    ).toEqual(['a', 'b']);
  });
});
