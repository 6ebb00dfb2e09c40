import { defineResourcePolicy } from '../lib/define';
import { envOf } from '../lib/k8s';
import { workloadOf } from '../lib/workloads';

export const apiMtlsRequired = defineResourcePolicy({
  name: 'api-mtls-required',
  description: 'The API demands client certificates from the CA (TLS_CLIENT_AUTH=require).',
  owaspCategory: 'A01',
  control: 'mtls-internal',
  remediation: 'Set TLS_CLIENT_AUTH=require and give every internal caller a client certificate from the CA.',
  validateResource: (args, reportViolation) => {
    const workload = workloadOf(args);
    if (workload?.role !== 'api') return;
    for (const { kind, name, spec } of workload.containers) {
      if (kind !== 'containers') continue;
      if (envOf(spec).get('TLS_CLIENT_AUTH')?.value !== 'require') {
        reportViolation(`${workload.label} container "${name}": TLS_CLIENT_AUTH is not "require"`);
      }
    }
  },
});
