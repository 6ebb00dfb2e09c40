import { joinPath, type PathSegment } from '../testing/secret-values';
import { isRecord } from './model';

const SECRET_KEY = /pass(word|wd)?$|passphrase|secret|token|credential|cookie|private.?key|[a-z0-9_]key$/i;
// Names that merely point at a secret (a file, a Secret object, a URL) are not secret themselves.
const REFERENCE_KEY =
  /(file|path|dir|url|uri|name|ref|refs|header|seconds|ttl|expiry|public.?key|key.?id|enabled)$/i;

// A value that is an absolute path names the file holding the secret (JUMPWIRE_TLS_KEY=/etc/tls/tls.key).
const FILE_PATH = /^\/[\w./-]+$/;

// Helm's convention for pointing at a Secret: `existingSecret` plus the key names inside it.
const SECRET_SELECTOR = /^existing|(user(name)?|password|admin\w*|token|cert|ca)Key$/i;

export function looksLikeSecretKey(key: string): boolean {
  return (
    SECRET_KEY.test(key) && !REFERENCE_KEY.test(key) && !SECRET_SELECTOR.test(key) && !/public/i.test(key)
  );
}

/** Outputs of generators that must never be printed. */
export const SECRET_OUTPUTS: Record<string, readonly string[]> = {
  'random:index/randomPassword:RandomPassword': ['result', 'bcryptHash'],
  'random:index/randomString:RandomString': ['result'],
  'random:index/randomBytes:RandomBytes': ['base64', 'hex', 'b64Std', 'b64Url', 'dec'],
  'tls:index/privateKey:PrivateKey': ['privateKeyPem', 'privateKeyOpenssh', 'privateKeyPemPkcs8'],
};

/**
 * Secret paths a mock runtime cannot see: Secret payloads, values under password-like keys, env
 * entries with password-like names, and any string that contains a generated secret value.
 */
export function inferSecretPaths(
  type: string,
  inputs: Record<string, unknown>,
  secretValues: readonly string[],
): string[] {
  const found: string[] = [];
  const isSecretObject = type === 'kubernetes:core/v1:Secret';
  const walk = (value: unknown, path: PathSegment[]): void => {
    if (typeof value === 'string') {
      if (secretValues.some((secret) => value.includes(secret))) found.push(joinPath(path));
      return;
    }
    if (Array.isArray(value)) {
      value.forEach((item, index) => walk(item, [...path, index]));
      return;
    }
    if (!isRecord(value)) return;
    // An env entry or similar name/value pair: the name says whether the value is secret.
    if (
      typeof value.name === 'string' &&
      typeof value.value === 'string' &&
      looksLikeSecretKey(value.name) &&
      !FILE_PATH.test(value.value)
    ) {
      found.push(joinPath([...path, 'value']));
    }
    for (const [key, item] of Object.entries(value)) {
      const childPath = [...path, key];
      if (isSecretObject && path.length === 0 && (key === 'data' || key === 'stringData')) {
        found.push(joinPath(childPath));
      } else if (
        typeof item === 'string' &&
        looksLikeSecretKey(key) &&
        item.length > 0 &&
        !FILE_PATH.test(item)
      ) {
        found.push(joinPath(childPath));
      } else {
        walk(item, childPath);
      }
    }
  };
  walk(inputs, []);
  return found;
}

/** Replaces every occurrence of a generated value (UUID, certificate) by its stable label. */
export function labelGeneratedValues<T>(value: T, generated: Readonly<Record<string, string>>): T {
  const entries = Object.entries(generated).sort(([a], [b]) => b.length - a.length);
  if (entries.length === 0) return value;
  const replace = (item: unknown): unknown => {
    if (typeof item === 'string') {
      let text = item;
      for (const [raw, label] of entries) if (text.includes(raw)) text = text.split(raw).join(label);
      return text;
    }
    if (Array.isArray(item)) return item.map(replace);
    if (isRecord(item))
      return Object.fromEntries(Object.entries(item).map(([key, child]) => [key, replace(child)]));
    return item;
  };
  return replace(value) as T;
}

/**
 * The pieces of a secret that would show in any printed form (raw, YAML block, JSON-escaped): its
 * lines of eight characters or more, each also JSON-escaped.
 */
export function secretFragments(secrets: readonly string[]): string[] {
  const lines = secrets.flatMap((secret) => secret.split('\n').filter((line) => line.trim().length >= 8));
  return [...new Set(lines.flatMap((line) => [line, JSON.stringify(line).slice(1, -1)]))];
}
