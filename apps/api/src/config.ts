// Configuration from the environment, validated once: every problem becomes one readable line.
import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { join } from 'node:path';
import { DEFAULT_JWT_ISSUER, JWT_AUDIENCE, SCOPES, type Scope } from '@secure-workshop/contracts';
import { readLibpqSettings, type PgConnectionSettings } from './shared/libpq.js';
import { ConfigError, Settings, type Env } from './shared/settings.js';

export { ConfigError, type Env };

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface DbConfig extends PgConnectionSettings {
  /** PGPREPARE: named prepared statements (on, the default) or unnamed ones only (off, behind JumpWire). */
  prepare: boolean;
}

export interface OAuthClient {
  clientId: string;
  secretSha256: Buffer;
  scopes: Scope[];
}

export interface TokenIssuerConfig {
  privateKey: string;
  clients: OAuthClient[];
  /** Failed client authentications per client id and window before the endpoint answers 429. */
  failureLimit: number;
  failureWindowSeconds: number;
}

export const DEFAULT_FAILURE_LIMIT = 10;
export const DEFAULT_FAILURE_WINDOW_SECONDS = 300;

export type AuthConfig =
  | { mode: 'none' }
  | { mode: 'jwt'; publicKey: string; issuer: string; audience: string; tokenIssuer?: TokenIssuerConfig };

export interface TlsConfig {
  cert: string;
  key: string;
  ca: string;
  requireClientCert: boolean;
}

export interface ApiConfig {
  port: number;
  host: string;
  metricsPort: number;
  logLevel: LogLevel;
  auth: AuthConfig;
  tls: TlsConfig | undefined;
  securityHeaders: boolean;
  db: DbConfig;
}

export const DEFAULT_ISSUER = DEFAULT_JWT_ISSUER;
export const DEFAULT_AUDIENCE = JWT_AUDIENCE;

function p256Key(
  name: string,
  pem: string,
  kind: 'public' | 'private',
  settings: Settings,
): KeyObject | undefined {
  let key: KeyObject;
  try {
    key = kind === 'public' ? createPublicKey(pem) : createPrivateKey(pem);
  } catch {
    return settings.problem(`${name} does not hold a PEM ${kind} key`);
  }
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    return settings.problem(`${name} must hold an EC P-256 ${kind} key (tokens are ES256)`);
  }
  return key;
}

function parseClients(name: string, text: string, settings: Settings): OAuthClient[] {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    settings.problem(`${name} is not valid JSON`);
    return [];
  }
  if (!Array.isArray(data) || data.length === 0) {
    settings.problem(`${name} must be a non-empty JSON array of {clientId, secretSha256, scopes}`);
    return [];
  }
  const clients: OAuthClient[] = [];
  const seen = new Set<string>();
  data.forEach((entry: unknown, index) => {
    const item = (typeof entry === 'object' && entry !== null ? entry : {}) as Record<string, unknown>;
    const { clientId, secretSha256, scopes } = item;
    const where = `${name}[${index}]`;
    if (typeof clientId !== 'string' || !/^[A-Za-z0-9._~-]{1,128}$/.test(clientId)) {
      settings.problem(`${where}.clientId must be 1-128 characters of A-Z a-z 0-9 . _ ~ -`);
      return;
    }
    if (seen.has(clientId)) {
      settings.problem(`${where}.clientId "${clientId}" appears twice`);
      return;
    }
    seen.add(clientId);
    if (typeof secretSha256 !== 'string' || !/^[0-9a-fA-F]{64}$/.test(secretSha256)) {
      settings.problem(`${where}.secretSha256 must be 64 hex digits (sha256 of the client secret)`);
      return;
    }
    const unknown = Array.isArray(scopes)
      ? scopes.filter((scope) => !(SCOPES as readonly unknown[]).includes(scope))
      : [];
    if (!Array.isArray(scopes) || unknown.length > 0) {
      settings.problem(`${where}.scopes must be a list drawn from ${SCOPES.join(', ')}`);
      return;
    }
    clients.push({ clientId, secretSha256: Buffer.from(secretSha256, 'hex'), scopes: scopes as Scope[] });
  });
  return clients;
}

const TOKEN_ENDPOINT_SETTINGS = ['OAUTH_FAILURE_LIMIT', 'OAUTH_FAILURE_WINDOW_SECONDS'];

function loadAuth(settings: Settings): AuthConfig {
  const mode = settings.oneOf('AUTH_MODE', ['jwt', 'none'] as const, 'jwt');
  const publicKeyFile = settings.text('JWT_PUBLIC_KEY_FILE');
  const privateKeyFile = settings.text('JWT_PRIVATE_KEY_FILE');
  const clientsFile = settings.text('OAUTH_CLIENTS_FILE');
  if (privateKeyFile === undefined || clientsFile === undefined) {
    for (const name of TOKEN_ENDPOINT_SETTINGS) {
      if (settings.text(name) !== undefined)
        settings.problem(
          `${name} is set but the token endpoint is off (it needs JWT_PRIVATE_KEY_FILE and OAUTH_CLIENTS_FILE)`,
        );
    }
  }
  if (mode === 'none') {
    for (const name of ['JWT_PUBLIC_KEY_FILE', 'JWT_PRIVATE_KEY_FILE', 'OAUTH_CLIENTS_FILE']) {
      if (settings.text(name)) settings.problem(`AUTH_MODE=none contradicts ${name}; unset one of them`);
    }
    return { mode };
  }
  const issuer = settings.text('JWT_ISSUER') ?? DEFAULT_ISSUER;
  const audience = settings.text('JWT_AUDIENCE') ?? DEFAULT_AUDIENCE;
  if (publicKeyFile === undefined) {
    settings.problem(
      'JWT_PUBLIC_KEY_FILE is required when AUTH_MODE is jwt (the default); set AUTH_MODE=none only for the insecure start stack',
    );
    return { mode, publicKey: '', issuer, audience };
  }
  const publicKey = settings.file('JWT_PUBLIC_KEY_FILE', publicKeyFile) ?? '';
  const publicKeyObject = publicKey
    ? p256Key('JWT_PUBLIC_KEY_FILE', publicKey, 'public', settings)
    : undefined;
  if (privateKeyFile === undefined) {
    if (clientsFile)
      settings.problem(
        'OAUTH_CLIENTS_FILE is set but JWT_PRIVATE_KEY_FILE is not; the token endpoint needs both',
      );
    return { mode, publicKey, issuer, audience };
  }
  if (clientsFile === undefined) {
    settings.problem(
      'JWT_PRIVATE_KEY_FILE is set but OAUTH_CLIENTS_FILE is not; the token endpoint needs both',
    );
    return { mode, publicKey, issuer, audience };
  }
  const privateKey = settings.file('JWT_PRIVATE_KEY_FILE', privateKeyFile) ?? '';
  const privateKeyObject = privateKey
    ? p256Key('JWT_PRIVATE_KEY_FILE', privateKey, 'private', settings)
    : undefined;
  if (publicKeyObject && privateKeyObject) {
    const derived = createPublicKey(privateKeyObject).export({ format: 'der', type: 'spki' });
    if (!derived.equals(publicKeyObject.export({ format: 'der', type: 'spki' }))) {
      settings.problem(
        'JWT_PRIVATE_KEY_FILE does not match JWT_PUBLIC_KEY_FILE; issued tokens would not verify',
      );
    }
  }
  const clientsText = settings.file('OAUTH_CLIENTS_FILE', clientsFile);
  const clients = clientsText === undefined ? [] : parseClients('OAUTH_CLIENTS_FILE', clientsText, settings);
  const failureLimit = settings.integer('OAUTH_FAILURE_LIMIT', DEFAULT_FAILURE_LIMIT, [1, 1000]);
  const failureWindowSeconds = settings.integer(
    'OAUTH_FAILURE_WINDOW_SECONDS',
    DEFAULT_FAILURE_WINDOW_SECONDS,
    [1, 86_400],
  );
  return {
    mode,
    publicKey,
    issuer,
    audience,
    tokenIssuer: { privateKey, clients, failureLimit, failureWindowSeconds },
  };
}

function loadTls(settings: Settings): TlsConfig | undefined {
  const dir = settings.text('TLS_CERT_DIR');
  const clientAuth = settings.oneOf('TLS_CLIENT_AUTH', ['require', 'none'] as const, 'none');
  const requireClientCert = clientAuth === 'require';
  if (dir === undefined) {
    if (requireClientCert)
      settings.problem('TLS_CLIENT_AUTH=require needs TLS_CERT_DIR (client certificates need HTTPS)');
    return undefined;
  }
  const [cert, key, ca] = ['tls.crt', 'tls.key', 'ca.crt'].map((file) =>
    settings.file('TLS_CERT_DIR', join(dir, file)),
  );
  if (cert === undefined || key === undefined || ca === undefined) return undefined;
  return { cert, key, ca, requireClientCert };
}

function readDbConfig(settings: Settings): DbConfig {
  return {
    ...readLibpqSettings(settings),
    prepare: settings.oneOf('PGPREPARE', ['on', 'off'] as const, 'on') === 'on',
  };
}

/** The PostgreSQL part alone, shared by the server and the migrate command. */
export function loadDbConfig(env: Env): DbConfig {
  const settings = new Settings(env);
  return settings.done(readDbConfig(settings));
}

export function loadConfig(env: Env): ApiConfig {
  const settings = new Settings(env);
  const port = settings.port('PORT', 3000);
  // An ephemeral main port (tests) gets an ephemeral metrics port unless one is named.
  const metricsPort = settings.port('METRICS_PORT', port === 0 ? 0 : 9464);
  if (port !== 0 && port === metricsPort)
    settings.problem(`METRICS_PORT=${metricsPort} must differ from PORT`);
  const headers = settings.oneOf('SECURITY_HEADERS', ['on', 'off'] as const, 'on');
  return settings.done({
    port,
    host: settings.text('HOST') ?? '127.0.0.1',
    metricsPort,
    logLevel: settings.oneOf('LOG_LEVEL', LOG_LEVELS, 'info'),
    auth: loadAuth(settings),
    tls: loadTls(settings),
    securityHeaders: headers === 'on',
    db: readDbConfig(settings),
  });
}
