import { defineResourcePolicy } from '../lib/define';
import { envOf } from '../lib/k8s';
import { workloadOf } from '../lib/workloads';

export const apiAuthEnabled = defineResourcePolicy({
  name: 'api-auth-enabled',
  description: 'The API requires JWT access tokens: it never runs with AUTH_MODE=none.',
  owaspCategory: 'A07',
  control: 'authn-jwt',
  remediation: 'Remove AUTH_MODE=none and give the API its JWT verification key (JWT_PUBLIC_KEY_FILE).',
  validateResource: (args, reportViolation) => {
    const workload = workloadOf(args);
    if (workload?.role !== 'api') return;
    for (const { kind, name, spec } of workload.containers) {
      if (kind !== 'containers') continue;
      const mode = envOf(spec).get('AUTH_MODE')?.value?.trim().toLowerCase();
      if (mode === 'none')
        reportViolation(`${workload.label} container "${name}": AUTH_MODE=none turns authentication off`);
    }
  },
});
