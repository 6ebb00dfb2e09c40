import { defineResourcePolicy } from '../lib/define';
import { roleContainers } from '../lib/workloads';

export const apiSecurityHeaders = defineResourcePolicy({
  name: 'api-security-headers',
  description: 'The API sends the hardened response headers (SECURITY_HEADERS is not off).',
  control: 'security-headers',
  remediation: 'Remove SECURITY_HEADERS=off from the API environment.',
  validateResource: (args, reportViolation) => {
    for (const { where, env } of roleContainers(args, 'api')) {
      if (env.get('SECURITY_HEADERS')?.value?.trim().toLowerCase() === 'off') {
        reportViolation(`${where}: SECURITY_HEADERS=off`);
      }
    }
  },
});
