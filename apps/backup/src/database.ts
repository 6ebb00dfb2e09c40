// PostgreSQL access for the backup job: the shared libpq reader and TLS connector, and table checksums.
import type postgres from 'postgres';
import { readLibpqSettings, type PgConnectionSettings } from '../../api/src/shared/libpq.js';
import { connectPostgres } from '../../api/src/shared/postgres.js';
import { Settings, type Env } from '../../api/src/shared/settings.js';

export type Sql = postgres.Sql;
// A connection or an open transaction: both run the summary queries.
export type Queryable = postgres.Sql | postgres.TransactionSql;
export type DatabaseTarget = PgConnectionSettings;

/**
 * The libpq variables (PGPASSFILE included), stricter than the API: host, database and user must be
 * named, and anything weaker than verify-full needs BACKUP_ALLOW_INSECURE_DB=true.
 */
export function readDatabaseTarget(settings: Settings): DatabaseTarget {
  settings.required('PGHOST', 'the database server to back up');
  settings.required('PGDATABASE', 'the database to back up');
  settings.required('PGUSER', 'a role that may read every table');
  const target = readLibpqSettings(settings);
  if (target.sslmode !== 'verify-full' && settings.text('BACKUP_ALLOW_INSECURE_DB') !== 'true') {
    settings.problem(`PGSSLMODE must be verify-full for backups (got ${target.sslmode})`);
  }
  return target;
}

/** The target alone from an environment; a ConfigError lists every problem. */
export function databaseTarget(env: Env): DatabaseTarget {
  const settings = new Settings(env);
  return settings.done(readDatabaseTarget(settings));
}

export function connect(target: DatabaseTarget): Sql {
  return connectPostgres(target, {
    applicationName: 'secure-workshop-backup',
    max: 1,
    // Row text feeds the checksum: pin every setting that changes how values print.
    connection: {
      TimeZone: 'UTC',
      DateStyle: 'ISO, YMD',
      IntervalStyle: 'iso_8601',
      extra_float_digits: '3',
    },
  });
}

export function assertIdentifier(name: string): string {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) throw new Error(`not a plain table name: ${name}`);
  return name;
}

export interface TableSummary {
  rows: number;
  checksum: string;
}

/** Row count and SHA-256 over every row's text form, in primary-key order. */
export async function summarizeTable(sql: Queryable, table: string): Promise<TableSummary> {
  const name = assertIdentifier(table);
  const [row] = await sql<{ rows: string; checksum: string | null }[]>`
    select count(*)::text as rows,
           encode(sha256(convert_to(coalesce(string_agg(t::text, E'\n' order by t.id), ''), 'UTF8')), 'hex') as checksum
      from ${sql(name)} as t`;
  if (!row) throw new Error(`no summary for ${name}`);
  return { rows: Number(row.rows), checksum: row.checksum ?? '' };
}

export async function summarizeTables(
  sql: Queryable,
  tables: readonly string[],
): Promise<Record<string, TableSummary>> {
  const result: Record<string, TableSummary> = {};
  for (const table of tables) result[table] = await summarizeTable(sql, table);
  return result;
}
