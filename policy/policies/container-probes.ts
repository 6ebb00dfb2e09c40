import { defineResourcePolicy } from '../lib/define';
import { isLongRunningType } from '../lib/k8s';
import { asRecord } from '../lib/values';
import { workloadOf } from '../lib/workloads';

export const containerProbes = defineResourcePolicy({
  name: 'container-probes',
  description: 'Containers of long-running workloads have liveness and readiness probes.',
  control: 'pod-hardening',
  remediation:
    'Add livenessProbe and readinessProbe to every container of Deployments, StatefulSets and DaemonSets.',
  validateResource: (args, reportViolation) => {
    if (!isLongRunningType(args.type)) return;
    const workload = workloadOf(args);
    if (!workload) return;
    for (const { kind, name, spec } of workload.containers) {
      if (kind !== 'containers') continue;
      const missing = ['livenessProbe', 'readinessProbe'].filter((probe) => !asRecord(spec[probe]));
      if (missing.length > 0) {
        reportViolation(`${workload.label} container "${name}": missing ${missing.join(' and ')}`);
      }
    }
  },
});
