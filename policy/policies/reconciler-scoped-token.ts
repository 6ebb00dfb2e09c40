import { defineStackPolicy } from '../lib/define';
import { envOf, isSet } from '../lib/k8s';
import { asArray, asRecords, asString } from '../lib/values';
import { mountedFileText, workloadsOf, type ResourceLike, type Workload } from '../lib/workloads';

const credentialVariables = ['OAUTH_TOKEN_URL', 'OAUTH_CLIENT_ID', 'OAUTH_CLIENT_SECRET_FILE'];

const writeScopes = (scopes: readonly string[]) => scopes.filter((scope) => !scope.startsWith('read:'));

/** Scopes the API's client registry (OAUTH_CLIENTS_FILE) lets `clientId` ask for, if the file is in the stack. */
function scopeCeiling(
  resources: readonly ResourceLike[],
  api: Workload,
  clientId: string,
): string[] | undefined {
  for (const { kind, spec } of api.containers) {
    const file = envOf(spec).get('OAUTH_CLIENTS_FILE')?.value;
    if (kind !== 'containers' || !file) continue;
    const text = mountedFileText(resources, api, spec, file);
    if (text === undefined) continue;
    let clients: unknown;
    try {
      clients = JSON.parse(text);
    } catch {
      return undefined;
    }
    const client = asRecords(clients).find((entry) => asString(entry.clientId) === clientId);
    return client ? asArray(client.scopes).flatMap((scope) => asString(scope) ?? []) : [];
  }
  return undefined;
}

export const reconcilerScopedToken = defineStackPolicy({
  name: 'reconciler-scoped-token',
  description:
    "The reconciler gets its own short-lived token by client credentials, asks only for read scopes, and the API's client registry lets it have no more.",
  control: 'authz-scopes',
  remediation:
    "Give the reconciler OAUTH_TOKEN_URL, OAUTH_CLIENT_ID and OAUTH_CLIENT_SECRET_FILE, and cap its client's scopes in the API's registry at read:user read:transaction.",
  validateStack: (args, reportViolation) => {
    const workloads = workloadsOf(args.resources);
    for (const reconciler of workloads.filter((workload) => workload.role === 'reconciler')) {
      for (const { kind, name, spec } of reconciler.containers) {
        if (kind !== 'containers') continue;
        const where = `${reconciler.label} container "${name}"`;
        const env = envOf(spec);
        const missing = credentialVariables.filter((variable) => !isSet(env.get(variable)));
        if (missing.length > 0) {
          reportViolation(`${where}: no client credentials (${missing.join(', ')} unset)`, reconciler.urn);
        }
        const requested = writeScopes((env.get('OAUTH_SCOPE')?.value ?? '').split(/\s+/).filter(Boolean));
        if (requested.length > 0) {
          reportViolation(
            `${where}: OAUTH_SCOPE asks for ${requested.join(', ')}; the reconciler only reads`,
            reconciler.urn,
          );
        }
        const clientId = env.get('OAUTH_CLIENT_ID')?.value;
        if (!clientId) continue;
        const apis = workloads.filter(
          (w) => w.role === 'api' && w.meta.namespace === reconciler.meta.namespace,
        );
        for (const api of apis) {
          const allowed = writeScopes(scopeCeiling(args.resources, api, clientId) ?? []);
          if (allowed.length > 0) {
            reportViolation(
              `${api.label}: the client registry lets "${clientId}" (the reconciler) ask for ${allowed.join(', ')}`,
              reconciler.urn,
            );
          }
        }
      }
    }
  },
});
