import { defineResourcePolicy } from '../lib/define';
import { roleContainers } from '../lib/workloads';

export const apiMtlsRequired = defineResourcePolicy({
  name: 'api-mtls-required',
  description: 'The API demands client certificates from the CA (TLS_CLIENT_AUTH=require).',
  control: 'mtls-internal',
  remediation: 'Set TLS_CLIENT_AUTH=require and give every internal caller a client certificate from the CA.',
  validateResource: (args, reportViolation) => {
    for (const { where, env } of roleContainers(args, 'api')) {
      if (env.get('TLS_CLIENT_AUTH')?.value !== 'require')
        reportViolation(`${where}: TLS_CLIENT_AUTH is not "require"`);
    }
  },
});
