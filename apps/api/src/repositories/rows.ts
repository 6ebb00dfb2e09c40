// Row mapping shared by the repositories: what a column looks like when it leaves PostgreSQL.
import type { PendingQuery, Row as DriverRow } from 'postgres';
import type { Sql } from '../db/client.js';

// toISOString's shape (UTC, milliseconds, Z); MS truncates microseconds as the JS Date did.
const ISO_UTC_MS = `'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'`;

function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** A select-list expression for one column, given its quoted name; it must keep the name (`as`). */
export type ColumnExpression = (name: string) => string;

/** A timestamptz column as ISO text, independent of the session's TimeZone and DateStyle. */
export const isoTimestamp: ColumnExpression = (name) =>
  `to_char(${name} at time zone 'UTC', ${ISO_UTC_MS}) as ${name}`;

/** Builds select lists from allow-listed column names, some of them rendered by an expression. */
export class ColumnList<F extends string> {
  // Bounded: routes pass deduplicated subsets in allow-list order (at most 2^n keys).
  private readonly cache = new Map<string, string>();

  constructor(
    private readonly all: readonly F[],
    private readonly expressions: Partial<Record<F, ColumnExpression>> = {},
  ) {}

  /** Select-list text; safe to splice because every name comes from the repository's allow-list. */
  text(fields: readonly F[]): string {
    const key = fields.join(',');
    let text = this.cache.get(key);
    if (text === undefined) {
      text = fields
        .map((field) => {
          if (!this.all.includes(field)) throw new Error(`unknown column ${field}`);
          const name = quoteIdentifier(field);
          return this.expressions[field]?.(name) ?? name;
        })
        .join(', ');
      this.cache.set(key, text);
    }
    return text;
  }

  /** The list as a query fragment; without fields, every column in table order (for returning). */
  fragment(sql: Sql, fields: readonly F[] = this.all): PendingQuery<DriverRow[]> {
    return sql.unsafe(this.text(fields));
  }
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

/** What a resource's routes need from its store; the PostgreSQL repositories and test fakes both fit. */
export interface ResourceRepository<F extends string, Item, Create, Update, Filter extends object = object> {
  list(request: PageRequest<F> & Filter): Promise<Page<Item>>;
  get(id: number, fields: readonly F[]): Promise<Item | undefined>;
  create(input: Create): Promise<Item>;
  update(id: number, input: Update): Promise<Item | undefined>;
  /** False when there was nothing to remove; a record others refer to raises a foreign-key error (409). */
  remove(id: number): Promise<boolean>;
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
