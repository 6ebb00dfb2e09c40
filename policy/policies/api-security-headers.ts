import { defineResourcePolicy } from '../lib/define';
import { envOf } from '../lib/k8s';
import { workloadOf } from '../lib/workloads';

export const apiSecurityHeaders = defineResourcePolicy({
  name: 'api-security-headers',
  description: 'The API sends the hardened response headers (SECURITY_HEADERS is not off).',
  owaspCategory: 'A05',
  control: 'security-headers',
  remediation: 'Remove SECURITY_HEADERS=off from the API environment.',
  validateResource: (args, reportViolation) => {
    const workload = workloadOf(args);
    if (workload?.role !== 'api') return;
    for (const { kind, name, spec } of workload.containers) {
      if (kind !== 'containers') continue;
      if (envOf(spec).get('SECURITY_HEADERS')?.value?.trim().toLowerCase() === 'off') {
        reportViolation(`${workload.label} container "${name}": SECURITY_HEADERS=off`);
      }
    }
  },
});
