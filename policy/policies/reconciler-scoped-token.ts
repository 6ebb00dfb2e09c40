import { defineResourcePolicy } from '../lib/define';
import { isSet } from '../lib/k8s';
import { roleContainers } from '../lib/workloads';

const credentialVariables = ['OAUTH_TOKEN_URL', 'OAUTH_CLIENT_ID', 'OAUTH_CLIENT_SECRET_FILE'];

export const reconcilerScopedToken = defineResourcePolicy({
  name: 'reconciler-scoped-token',
  description:
    'The reconciler gets its own short-lived token by client credentials and asks only for read scopes.',
  owaspCategory: 'A01',
  control: 'authz-scopes',
  remediation:
    'Give the reconciler OAUTH_TOKEN_URL, OAUTH_CLIENT_ID and OAUTH_CLIENT_SECRET_FILE, and only read:user read:transaction.',
  validateResource: (args, reportViolation) => {
    for (const { where, env } of roleContainers(args, 'reconciler')) {
      const missing = credentialVariables.filter((variable) => !isSet(env.get(variable)));
      if (missing.length > 0)
        reportViolation(`${where}: no client credentials (${missing.join(', ')} unset)`);
      const scopes = (env.get('OAUTH_SCOPE')?.value ?? '').split(/\s+/).filter(Boolean);
      const broad = scopes.filter((scope) => !scope.startsWith('read:'));
      if (broad.length > 0)
        reportViolation(`${where}: OAUTH_SCOPE asks for ${broad.join(', ')}; the reconciler only reads`);
    }
  },
});
