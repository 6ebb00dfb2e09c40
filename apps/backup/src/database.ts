// PostgreSQL access for the backup job: libpq settings, verify-full TLS, table checksums.
import { readFileSync } from 'node:fs';
import { checkServerIdentity, type PeerCertificate } from 'node:tls';
import postgres from 'postgres';

export type Sql = postgres.Sql;
// A connection or an open transaction: both run the summary queries.
export type Queryable = postgres.Sql | postgres.TransactionSql;
export type Env = Record<string, string | undefined>;

export interface DatabaseTarget {
  host: string;
  port: number;
  database: string;
  user: string;
  password: string | undefined;
  sslmode: string;
  sslRootCert: string | undefined;
}

/** Reads the libpq variables; refuses anything weaker than verify-full unless explicitly allowed. */
export function databaseTarget(env: Env, database = env.PGDATABASE): DatabaseTarget {
  const host = env.PGHOST;
  if (!host) throw new Error('PGHOST is required');
  if (!database) throw new Error('PGDATABASE is required');
  const user = env.PGUSER;
  if (!user) throw new Error('PGUSER is required');
  const port = Number(env.PGPORT ?? '5432');
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new Error(`PGPORT is not a port: ${env.PGPORT}`);
  const sslmode = env.PGSSLMODE ?? 'verify-full';
  if (sslmode !== 'verify-full' && env.BACKUP_ALLOW_INSECURE_DB !== 'true') {
    throw new Error(`PGSSLMODE must be verify-full for backups (got ${sslmode})`);
  }
  if (sslmode === 'verify-full' && !env.PGSSLROOTCERT) {
    throw new Error('PGSSLROOTCERT is required with PGSSLMODE=verify-full');
  }
  return {
    host,
    port,
    database,
    user,
    password: env.PGPASSWORD,
    sslmode,
    sslRootCert: env.PGSSLROOTCERT,
  };
}

/** The same target as libpq variables, for pg_dump, pg_restore and psql. */
export function libpqEnv(target: DatabaseTarget): Record<string, string> {
  const env: Record<string, string> = {
    PGHOST: target.host,
    PGPORT: String(target.port),
    PGDATABASE: target.database,
    PGUSER: target.user,
    PGSSLMODE: target.sslmode,
  };
  if (target.password !== undefined) env.PGPASSWORD = target.password;
  if (target.sslRootCert) env.PGSSLROOTCERT = target.sslRootCert;
  return env;
}

export function connect(target: DatabaseTarget): Sql {
  const ssl =
    target.sslmode === 'verify-full'
      ? {
          ca: readFileSync(target.sslRootCert ?? ''),
          rejectUnauthorized: true,
          servername: serverName(target),
          // verify-full: the certificate must name the host we dialled, IP or DNS.
          checkServerIdentity: (_name: string, cert: PeerCertificate) =>
            checkServerIdentity(target.host, cert),
        }
      : false;
  return postgres({
    host: target.host,
    port: target.port,
    database: target.database,
    username: target.user,
    password: target.password,
    ssl,
    max: 1,
    onnotice: () => undefined,
    // Row text feeds the checksum: pin every setting that changes how values print.
    connection: {
      TimeZone: 'UTC',
      DateStyle: 'ISO, YMD',
      IntervalStyle: 'iso_8601',
      extra_float_digits: '3',
    },
  });
}

function serverName(target: DatabaseTarget): string | undefined {
  // SNI must not carry an IP address; Node still checks IP SANs without it.
  return /^[\d.]+$|:/.test(target.host) ? undefined : target.host;
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
