import { defineResourcePolicy } from '../lib/define';
import { envOf, k8sTypes, metadataOf } from '../lib/k8s';
import { asRecord, asRecords, asString } from '../lib/values';
import { workloadOf } from '../lib/workloads';

const secretWords = new Set([
  'PASSWORD',
  'PASSWD',
  'PASS',
  'PWD',
  'SECRET',
  'SECRETS',
  'TOKEN',
  'TOKENS',
  'KEY',
  'KEYS',
  'APIKEY',
  'CREDENTIAL',
  'CREDENTIALS',
  'COOKIE',
]);

/** A last word that says the value is a location or an attribute of a secret, not the secret. */
const describingWords = new Set([
  'FILE',
  'FILES',
  'PATH',
  'DIR',
  'URL',
  'URI',
  'ENDPOINT',
  'ID',
  'NAME',
  'TYPE',
  'MODE',
  'ALG',
  'ALGORITHM',
  'SIZE',
  'TTL',
]);

/** True for names like POSTGRES_PASSWORD, jwtSecret, tls.key; false for JWT_PUBLIC_KEY_FILE or OAUTH_TOKEN_URL. */
export function looksSecret(name: string): boolean {
  const words = name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((word) => word.toUpperCase());
  const last = words[words.length - 1];
  if (last !== undefined && describingWords.has(last)) return false;
  return words.some((word) => secretWords.has(word));
}

/** A value that names a file inside one of the container's mounts points at a secret, it is not one. */
function isMountedPath(value: string, mountPaths: readonly string[]): boolean {
  return (
    /^\/[\w./-]+$/.test(value) &&
    !value.split('/').includes('..') &&
    mountPaths.some((mount) => value.startsWith(mount.endsWith('/') ? mount : `${mount}/`))
  );
}

export const noSecretLiterals = defineResourcePolicy({
  name: 'no-secret-literals',
  description:
    'No password, secret, token or key is written as a literal env value or ConfigMap entry; secrets come from Secret references or files.',
  control: 'generated-secrets',
  remediation:
    'Generate the value (random/tls providers), store it in a Secret and use valueFrom.secretKeyRef or a mounted file (*_FILE).',
  validateResource: (args, reportViolation) => {
    if (args.type === k8sTypes.configMap) {
      const meta = metadataOf(args.props);
      // Only the keys are read: values may still be unknown during a preview.
      const keys = ['data', 'binaryData'].flatMap((field) => Object.keys(asRecord(args.props[field]) ?? {}));
      for (const key of keys.filter(looksSecret)) {
        reportViolation(
          `ConfigMap ${meta.namespace}/${meta.name ?? args.name}: key "${key}" looks secret; use a Secret`,
        );
      }
      return;
    }
    const workload = workloadOf(args);
    if (!workload) return;
    for (const { name, spec } of workload.containers) {
      const mountPaths = asRecords(spec.volumeMounts).flatMap((mount) => asString(mount.mountPath) ?? []);
      for (const entry of envOf(spec).values()) {
        if (
          looksSecret(entry.name) &&
          (entry.value ?? '') !== '' &&
          !isMountedPath(entry.value ?? '', mountPaths)
        ) {
          reportViolation(`${workload.label} container "${name}": env ${entry.name} has a literal value`);
        }
      }
    }
  },
});
