import { defineResourcePolicy } from '../lib/define';
import { workloadOf } from '../lib/workloads';

export const serviceAccountToken = defineResourcePolicy({
  name: 'service-account-token',
  description: 'Pods do not mount a Kubernetes API token (automountServiceAccountToken: false).',
  control: 'pod-hardening',
  remediation:
    'Set automountServiceAccountToken: false in the pod spec; none of our workloads calls the Kubernetes API.',
  validateResource: (args, reportViolation) => {
    const workload = workloadOf(args);
    if (!workload) return;
    const value = workload.podSpec.automountServiceAccountToken;
    if (value !== false && value !== 'false') {
      reportViolation(`${workload.label}: automountServiceAccountToken must be false in the pod spec`);
    }
  },
});
