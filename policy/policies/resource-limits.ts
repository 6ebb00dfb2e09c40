import { defineResourcePolicy } from '../lib/define';
import { asString, at } from '../lib/values';
import { workloadOf } from '../lib/workloads';

export const resourceLimits = defineResourcePolicy({
  name: 'resource-limits',
  description: 'Every container declares CPU and memory requests and limits.',
  control: 'pod-hardening',
  remediation: 'Set resources.requests and resources.limits (cpu and memory) on every container.',
  validateResource: (args, reportViolation) => {
    const workload = workloadOf(args);
    if (!workload) return;
    for (const { name, spec } of workload.containers.filter((c) => c.kind !== 'ephemeralContainers')) {
      const missing = ['requests', 'limits'].flatMap((kind) =>
        ['cpu', 'memory']
          .filter((resource) => !asString(at(spec, 'resources', kind, resource)))
          .map((r) => `${kind}.${r}`),
      );
      if (missing.length > 0) {
        reportViolation(`${workload.label} container "${name}": missing resources ${missing.join(', ')}`);
      }
    }
  },
});
