// Secrets in recorded property values: the plain value with the paths that were secret, and the
// same value with those paths masked.
export const SECRET_PLACEHOLDER = '[secret]';

export type PathSegment = string | number;

/** Property names joined by `.`, array indexes as numbers: `spec.template.spec.containers.0.env`. */
export function joinPath(path: readonly PathSegment[]): string {
  return path.map(String).join('.');
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Pulumi's markers for values that travel as objects (sdk/nodejs/runtime/rpc.ts `special*Sig`), written
 * out so that the tools' own process need not load the SDK to read recorded values; a test holds them
 * to the SDK's.
 */
export const WIRE_SIGNATURES = {
  key: '4dabf18193072939515e22adb298388d',
  secret: '1b47061264138c4ac30d75fd1eb44270',
  resource: '5cf8f73096256a8f31e491e813e4eb8e',
  asset: 'c44067f5952c0a294b673a41bacd8c17',
  archive: '0def7320c3a5731c473e5ecbe6d01bc7',
  outputValue: 'd0e6a833031e9bbcd3f4e8bde6ca49a4',
} as const;

/**
 * A property value as the program meant it (secrets unwrapped, resource references as URNs, assets
 * as their text or path), adding to `secretPaths` the path of every value that was secret. Reads
 * both the wire form (a Struct's JavaScript) and the SDK's deserialized form.
 */
export function plainValue(value: unknown, path: PathSegment[] = [], secretPaths: string[] = []): unknown {
  if (Array.isArray(value))
    return value.map((item, index) => plainValue(item, [...path, index], secretPaths));
  if (!isRecord(value)) return value;
  const sig = value[WIRE_SIGNATURES.key];
  if (sig === WIRE_SIGNATURES.secret) {
    secretPaths.push(joinPath(path));
    return plainValue(value.value, path, []);
  }
  if (sig === WIRE_SIGNATURES.resource) return value.urn;
  if (sig === WIRE_SIGNATURES.asset || sig === WIRE_SIGNATURES.archive)
    return value.text ?? value.path ?? value.uri ?? '[asset]';
  if (sig === WIRE_SIGNATURES.outputValue) {
    if (value.secret === true) secretPaths.push(joinPath(path));
    return plainValue(value.value, path, []);
  }
  return Object.fromEntries(
    Object.entries(value).map(([key, item]) => [key, plainValue(item, [...path, key], secretPaths)]),
  );
}

function at(value: unknown, path: readonly string[]): unknown {
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
  if (secretPaths.includes('')) return SECRET_PLACEHOLDER as T;
  const copy = structuredClone(value) as unknown;
  for (const path of secretPaths) {
    const segments = path.split('.');
    const last = segments.pop() as string;
    const parent = at(copy, segments);
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
