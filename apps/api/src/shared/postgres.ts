// The one way api and backup open PostgreSQL: libpq semantics for PGSSLMODE (verify-full really verifies
// the name we dialled), TCP_NODELAY on every socket, and named prepared statements only when allowed.
import { connect, isIP, type Socket } from 'node:net';
import { checkServerIdentity, rootCertificates, type ConnectionOptions } from 'node:tls';
import postgres from 'postgres';
import type { PgConnectionSettings } from './libpq.js';

export type Sql = postgres.Sql;

type TlsSettings = Pick<PgConnectionSettings, 'host' | 'sslmode' | 'sslRootCert'>;

function trustedCas(config: TlsSettings): string | string[] | undefined {
  if (config.sslRootCert === 'system') return [...rootCertificates];
  return config.sslRootCert;
}

/** The `ssl` option of the postgres client for a libpq sslmode. */
function dbTlsOptions(config: TlsSettings): false | 'prefer' | 'allow' | ConnectionOptions {
  // SNI must not carry an IP address; Node still checks IP SANs without it.
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
function openSocket(
  config: Pick<PgConnectionSettings, 'host' | 'port'>,
  timeoutSeconds: number,
): Promise<Socket> {
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

export interface ConnectOptions {
  /** Shown in pg_stat_activity and the server log. */
  applicationName: string;
  max?: number;
  connectTimeoutSeconds?: number;
  idleTimeoutSeconds?: number;
  /**
   * Named prepared statements (the client's default). Off sends every query as an unnamed statement,
   * which a proxy that does not track named ones (JumpWire 4.0.0) needs: see PGPREPARE in the API.
   */
  prepare?: boolean;
  /** Session settings sent at start-up (e.g. TimeZone). */
  connection?: Record<string, string>;
  types?: Record<string, postgres.PostgresType>;
}

export function connectPostgres(config: PgConnectionSettings, options: ConnectOptions): Sql {
  const connectTimeout = options.connectTimeoutSeconds ?? 10;
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
    max: options.max ?? 10,
    connect_timeout: connectTimeout,
    idle_timeout: options.idleTimeoutSeconds ?? 60,
    prepare: options.prepare ?? true,
    socket: () => openSocket(config, connectTimeout),
    onnotice: () => undefined,
    connection: { application_name: options.applicationName, ...options.connection },
    ...(options.types ? { types: options.types } : {}),
  };
  return postgres(clientOptions);
}
