// Secrets in recorded property values: the plain value with the paths that were secret, and the
// same value with those paths masked.
import * as pulumi from '@pulumi/pulumi';

export const SECRET_PLACEHOLDER = '[secret]';

export type PathSegment = string | number;

/** Property names joined by `.`, array indexes as numbers: `spec.template.spec.containers.0.env`. */
export function joinPath(path: readonly PathSegment[]): string {
  return path.map(String).join('.');
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const {
  specialSigKey,
  specialSecretSig,
  specialResourceSig,
  specialAssetSig,
  specialArchiveSig,
  specialOutputValueSig,
} = pulumi.runtime;

/**
 * A property value as the program meant it (secrets unwrapped, resource references as URNs, assets
 * as their text or path), adding to `secretPaths` the path of every value that was secret. Reads
 * both the wire form (a Struct's JavaScript) and the SDK's deserialized form.
 */
export function plainValue(value: unknown, path: PathSegment[] = [], secretPaths: string[] = []): unknown {
  if (Array.isArray(value))
    return value.map((item, index) => plainValue(item, [...path, index], secretPaths));
  if (!isRecord(value)) return value;
  const sig = value[specialSigKey];
  if (sig === specialSecretSig) {
    secretPaths.push(joinPath(path));
    return plainValue(value.value, path, []);
  }
  if (sig === specialResourceSig) return value.urn;
  if (sig === specialAssetSig || sig === specialArchiveSig)
    return value.text ?? value.path ?? value.uri ?? '[asset]';
  if (sig === specialOutputValueSig) {
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
