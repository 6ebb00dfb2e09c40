/** Small readers for the untyped property bags the engine hands to policies. */

export type PropertyBag = Record<string, unknown>;

export function asRecord(value: unknown): PropertyBag | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as PropertyBag)
    : undefined;
}

export function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

export function asRecords(value: unknown): PropertyBag[] {
  return asArray(value).flatMap((item) => {
    const record = asRecord(item);
    return record ? [record] : [];
  });
}

export function asString(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

/** Reads a nested field, e.g. `at(props, 'spec', 'template', 'spec')`. */
export function at(value: unknown, ...path: string[]): unknown {
  let current: unknown = value;
  for (const key of path) {
    const record = asRecord(current);
    if (!record) return undefined;
    current = record[key];
  }
  return current;
}

export function isTrue(value: unknown): boolean {
  return value === true || value === 'true';
}

export function stringMap(value: unknown): Record<string, string> {
  const record = asRecord(value) ?? {};
  const result: Record<string, string> = {};
  for (const [key, item] of Object.entries(record)) {
    const text = asString(item);
    if (text !== undefined) result[key] = text;
  }
  return result;
}
