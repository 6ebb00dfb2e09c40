import { defineResourcePolicy } from '../lib/define';
import { roleContainers } from '../lib/workloads';

export const apiAuthEnabled = defineResourcePolicy({
  name: 'api-auth-enabled',
  description: 'The API requires JWT access tokens: it never runs with AUTH_MODE=none.',
  control: 'authn-jwt',
  remediation: 'Remove AUTH_MODE=none and give the API its JWT verification key (JWT_PUBLIC_KEY_FILE).',
  validateResource: (args, reportViolation) => {
    for (const { where, env } of roleContainers(args, 'api')) {
      const mode = env.get('AUTH_MODE')?.value?.trim().toLowerCase();
      if (mode === 'none') reportViolation(`${where}: AUTH_MODE=none turns authentication off`);
    }
  },
});
