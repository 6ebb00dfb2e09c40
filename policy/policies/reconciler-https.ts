import { defineResourcePolicy } from '../lib/define';
import { envOf, isSet } from '../lib/k8s';
import { workloadOf } from '../lib/workloads';

export const reconcilerHttps = defineResourcePolicy({
  name: 'reconciler-https',
  description: 'Callers of the API (API_URL, OAUTH_TOKEN_URL) use https:// and pin the CA with TLS_CA_FILE.',
  control: 'tls-in-transit',
  remediation: 'Point API_URL and OAUTH_TOKEN_URL at https://api... and mount the CA bundle as TLS_CA_FILE.',
  validateResource: (args, reportViolation) => {
    const workload = workloadOf(args);
    if (!workload) return;
    for (const { name, spec } of workload.containers) {
      const env = envOf(spec);
      const isCaller = workload.role === 'reconciler' || env.has('API_URL');
      if (!isCaller) continue;
      const where = `${workload.label} container "${name}"`;
      for (const variable of ['API_URL', 'OAUTH_TOKEN_URL']) {
        const value = env.get(variable)?.value;
        if (value !== undefined && !value.startsWith('https://')) {
          reportViolation(`${where}: ${variable} is "${value}", not https://`);
        }
      }
      if (!isSet(env.get('TLS_CA_FILE')))
        reportViolation(`${where}: TLS_CA_FILE is not set, so the CA is not pinned`);
    }
  },
});
