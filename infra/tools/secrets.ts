import { isRecord, joinPath, type PathSegment, SECRET_PLACEHOLDER } from './model';

// Pulumi's wire markers (sdk/nodejs/runtime/rpc.ts): how a secret or a resource reference travels in a Struct.
const SIG_KEY = '4dabf18193072939515e22adb298388d';
const SECRET_SIG = '1b47061264138c4ac30d75fd1eb44270';
const RESOURCE_SIG = '5cf8f73096256a8f31e491e813e4eb8e';
const ASSET_SIG = 'c44067f5952c0a294b673a41bacd8c17';
const ARCHIVE_SIG = '0def7320c3a5731c473e5ecbe6d01bc7';
const OUTPUT_SIG = 'd0e6a833031e9bbcd3f4e8bde6ca49a4';

/** Plain value plus the paths that were wrapped as secrets, from a serialized Pulumi property struct. */
export function unwrapWireValue(
  value: unknown,
  path: PathSegment[] = [],
  secretPaths: string[] = [],
): unknown {
  if (Array.isArray(value))
    return value.map((item, index) => unwrapWireValue(item, [...path, index], secretPaths));
  if (!isRecord(value)) return value;
  const sig = value[SIG_KEY];
  if (sig === SECRET_SIG) {
    secretPaths.push(joinPath(path));
    return unwrapWireValue(value.value, path, []);
  }
  if (sig === RESOURCE_SIG) return value.urn;
  if (sig === ASSET_SIG || sig === ARCHIVE_SIG) return value.text ?? value.path ?? value.uri ?? '[asset]';
  if (sig === OUTPUT_SIG) {
    if (value.secret === true) secretPaths.push(joinPath(path));
    return unwrapWireValue(value.value, path, []);
  }
  const plain: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value))
    plain[key] = unwrapWireValue(item, [...path, key], secretPaths);
  return plain;
}

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

function getPath(value: unknown, path: string[]): unknown {
  let current = value;
  for (const segment of path) {
    if (Array.isArray(current)) current = current[Number(segment)];
    else if (isRecord(current)) current = current[segment];
    else return undefined;
  }
  return current;
}

/** A copy of `value` with every secret path replaced by `[secret]` (the whole subtree). */
export function maskSecrets<T>(value: T, secretPaths: readonly string[]): T {
  if (secretPaths.length === 0) return value;
  const copy = structuredClone(value) as unknown;
  if (secretPaths.includes('')) return SECRET_PLACEHOLDER as T;
  for (const path of secretPaths) {
    const segments = path.split('.');
    const last = segments.pop() as string;
    const parent = getPath(copy, segments);
    if (Array.isArray(parent) && Number(last) < parent.length) parent[Number(last)] = SECRET_PLACEHOLDER;
    else if (isRecord(parent) && last in parent) {
      const target = parent[last];
      // Keep the shape of a Secret's data (which keys exist) but never the values.
      parent[last] = isRecord(target)
        ? Object.fromEntries(Object.keys(target).map((key) => [key, SECRET_PLACEHOLDER]))
        : SECRET_PLACEHOLDER;
    }
  }
  return copy as T;
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
