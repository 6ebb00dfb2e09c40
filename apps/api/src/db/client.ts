// PostgreSQL connection with libpq semantics for PGSSLMODE, and TCP_NODELAY on every socket.
import { connect, isIP, type Socket } from 'node:net';
import { checkServerIdentity, rootCertificates, type ConnectionOptions } from 'node:tls';
import postgres from 'postgres';
import type { DbConfig } from '../config.js';

export type Sql = postgres.Sql;

function trustedCas(config: DbConfig): string | string[] | undefined {
  if (config.sslRootCert === 'system') return [...rootCertificates];
  return config.sslRootCert;
}

/** The `ssl` option of the postgres client for a libpq sslmode. */
export function dbTlsOptions(config: DbConfig): false | 'prefer' | 'allow' | ConnectionOptions {
  const servername = isIP(config.host) ? undefined : config.host;
  switch (config.sslmode) {
    case 'disable':
      return false;
    case 'allow':
      return 'allow';
    case 'prefer':
      return 'prefer';
    case 'require':
      // libpq: with a root certificate, require behaves like verify-ca.
      if (config.sslRootCert === undefined) return { rejectUnauthorized: false, servername };
      return {
        ca: trustedCas(config),
        rejectUnauthorized: true,
        servername,
        checkServerIdentity: () => undefined,
      };
    case 'verify-ca':
      return {
        ca: trustedCas(config),
        rejectUnauthorized: true,
        servername,
        checkServerIdentity: () => undefined,
      };
    case 'verify-full':
      return {
        ca: trustedCas(config),
        rejectUnauthorized: true,
        servername,
        // Check the name we dialled, not whatever the socket layer remembers.
        checkServerIdentity: (_host, cert) => checkServerIdentity(config.host, cert),
      };
  }
}

/** Opens the TCP connection ourselves so Nagle's algorithm is off (the client does not set it). */
function openSocket(config: DbConfig, timeoutSeconds: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: config.host, port: config.port, noDelay: true });
    socket.setTimeout(timeoutSeconds * 1000, () =>
      socket.destroy(new Error(`connect to ${config.host}:${config.port} timed out`)),
    );
    socket.once('error', reject);
    socket.once('connect', () => {
      socket.setTimeout(0);
      socket.off('error', reject);
      resolve(socket);
    });
  });
}

/**
 * Timestamps travel to PostgreSQL as the text the client sent, so PostgreSQL (not JavaScript's Date,
 * which throws on a leap second) decides: 23:59:60 is stored as the next second, and anything it
 * cannot hold is a data exception the error handler answers with 400.
 */
const TIMESTAMPTZ_AS_TEXT = {
  to: 1184,
  // No `from`: rows are parsed as before (the repositories select timestamps as text anyway).
  from: [] as number[],
  serialize: (value: unknown): string => (value instanceof Date ? value.toISOString() : String(value)),
  parse: (raw: string): string => raw,
};

export interface SqlOptions {
  max?: number;
  connectTimeoutSeconds?: number;
}

export function createSql(config: DbConfig, tuning: SqlOptions = {}): Sql {
  const connectTimeout = tuning.connectTimeoutSeconds ?? 10;
  // `socket` (a connected-socket factory) is supported by the client but missing from its types.
  const clientOptions: postgres.Options<Record<string, postgres.PostgresType>> & {
    socket: () => Promise<Socket>;
  } = {
    host: config.host,
    port: config.port,
    database: config.database,
    username: config.user,
    password: config.password ?? '',
    ssl: dbTlsOptions(config),
    max: tuning.max ?? 10,
    connect_timeout: connectTimeout,
    idle_timeout: 60,
    socket: () => openSocket(config, connectTimeout),
    onnotice: () => undefined,
    connection: { application_name: 'secure-workshop-api' },
    types: { timestamptz: TIMESTAMPTZ_AS_TEXT },
  };
  return postgres(clientOptions);
}
