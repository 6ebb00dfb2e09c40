// Row mapping shared by the repositories: timestamps leave as ISO strings.
export type Row = Record<string, unknown>;

/** Converts in place: the driver's row is ours alone, and a copy per row costs CPU and GC on list pages. */
export function isoDates<T extends Row>(row: T): T {
  const out: Row = row;
  for (const key in out) {
    const value = out[key];
    if (value instanceof Date) out[key] = value.toISOString();
  }
  return row;
}

export interface Page<T> {
  items: T[];
  /** Id to continue after, when there is a next page. */
  nextAfter: number | undefined;
}

export interface PageRequest<F extends string> {
  limit: number;
  after: number;
  fields: readonly F[];
}

/** Rows were fetched with limit + 1: the extra row only says that a next page exists. */
export function toPage<T extends { id: number }>(rows: T[], limit: number): Page<T> {
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return { items, nextAfter: rows.length > limit && last ? last.id : undefined };
}

/** The allow-listed columns present in a write; an empty write is a programming error. */
export function writableColumns<T extends object, K extends keyof T & string>(
  input: T,
  allowed: readonly K[],
): K[] {
  const columns = allowed.filter((column) => input[column] !== undefined);
  if (columns.length === 0) throw new Error('no writable column in the input');
  return columns;
}
