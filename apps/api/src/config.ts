// Configuration from the environment, validated once: every problem becomes one readable line.
import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SCOPES, type Scope } from './scopes.js';

export type Env = Record<string, string | undefined>;

export const SSL_MODES = ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full'] as const;
export type SslMode = (typeof SSL_MODES)[number];
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface DbConfig {
  host: string;
  port: number;
  database: string;
  user: string;
  password: string | undefined;
  sslmode: SslMode;
  /** PEM of PGSSLROOTCERT, or 'system' for the platform's trust store. */
  sslRootCert: string | 'system' | undefined;
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

export const DEFAULT_ISSUER = 'secure-workshop';
export const DEFAULT_AUDIENCE = 'secure-workshop-api';

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
    this.name = 'ConfigError';
  }
}

/** Collects problems so that one start-up attempt reports all of them. */
class Problems {
  readonly list: string[] = [];
  add(line: string): undefined {
    this.list.push(line);
    return undefined;
  }
}

function readSetting(env: Env, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

function portSetting(env: Env, name: string, fallback: number, problems: Problems): number {
  const raw = readSetting(env, name);
  if (raw === undefined) return fallback;
  const port = Number(raw);
  if (!/^\d+$/.test(raw) || port > 65535) {
    problems.add(`${name}=${raw} is not a port number (0-65535)`);
    return fallback;
  }
  return port;
}

function integerSetting(
  env: Env,
  name: string,
  fallback: number,
  [min, max]: [number, number],
  problems: Problems,
): number {
  const raw = readSetting(env, name);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < min || value > max) {
    problems.add(`${name}=${raw} is not a whole number from ${min} to ${max}`);
    return fallback;
  }
  return value;
}

function oneOf<T extends string>(
  env: Env,
  name: string,
  allowed: readonly T[],
  fallback: T,
  problems: Problems,
): T {
  const raw = readSetting(env, name);
  if (raw === undefined) return fallback;
  if ((allowed as readonly string[]).includes(raw)) return raw as T;
  problems.add(`${name}=${raw} is not one of ${allowed.join(', ')}`);
  return fallback;
}

function readFileSetting(name: string, path: string, problems: Problems): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    return problems.add(`${name}: cannot read ${path} (${code})`);
  }
}

function p256Key(
  name: string,
  pem: string,
  kind: 'public' | 'private',
  problems: Problems,
): KeyObject | undefined {
  let key: KeyObject;
  try {
    key = kind === 'public' ? createPublicKey(pem) : createPrivateKey(pem);
  } catch {
    return problems.add(`${name} does not hold a PEM ${kind} key`);
  }
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    return problems.add(`${name} must hold an EC P-256 ${kind} key (tokens are ES256)`);
  }
  return key;
}

function parseClients(name: string, text: string, problems: Problems): OAuthClient[] {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    problems.add(`${name} is not valid JSON`);
    return [];
  }
  if (!Array.isArray(data) || data.length === 0) {
    problems.add(`${name} must be a non-empty JSON array of {clientId, secretSha256, scopes}`);
    return [];
  }
  const clients: OAuthClient[] = [];
  const seen = new Set<string>();
  data.forEach((entry: unknown, index) => {
    const item = (typeof entry === 'object' && entry !== null ? entry : {}) as Record<string, unknown>;
    const { clientId, secretSha256, scopes } = item;
    const where = `${name}[${index}]`;
    if (typeof clientId !== 'string' || !/^[A-Za-z0-9._~-]{1,128}$/.test(clientId)) {
      problems.add(`${where}.clientId must be 1-128 characters of A-Z a-z 0-9 . _ ~ -`);
      return;
    }
    if (seen.has(clientId)) {
      problems.add(`${where}.clientId "${clientId}" appears twice`);
      return;
    }
    seen.add(clientId);
    if (typeof secretSha256 !== 'string' || !/^[0-9a-fA-F]{64}$/.test(secretSha256)) {
      problems.add(`${where}.secretSha256 must be 64 hex digits (sha256 of the client secret)`);
      return;
    }
    const unknown = Array.isArray(scopes)
      ? scopes.filter((scope) => !(SCOPES as readonly unknown[]).includes(scope))
      : [];
    if (!Array.isArray(scopes) || unknown.length > 0) {
      problems.add(`${where}.scopes must be a list drawn from ${SCOPES.join(', ')}`);
      return;
    }
    clients.push({ clientId, secretSha256: Buffer.from(secretSha256, 'hex'), scopes: scopes as Scope[] });
  });
  return clients;
}

const TOKEN_ENDPOINT_SETTINGS = ['OAUTH_FAILURE_LIMIT', 'OAUTH_FAILURE_WINDOW_SECONDS'];

function loadAuth(env: Env, problems: Problems): AuthConfig {
  const mode = oneOf(env, 'AUTH_MODE', ['jwt', 'none'] as const, 'jwt', problems);
  const publicKeyFile = readSetting(env, 'JWT_PUBLIC_KEY_FILE');
  const privateKeyFile = readSetting(env, 'JWT_PRIVATE_KEY_FILE');
  const clientsFile = readSetting(env, 'OAUTH_CLIENTS_FILE');
  if (privateKeyFile === undefined || clientsFile === undefined) {
    for (const name of TOKEN_ENDPOINT_SETTINGS) {
      if (readSetting(env, name) !== undefined)
        problems.add(
          `${name} is set but the token endpoint is off (it needs JWT_PRIVATE_KEY_FILE and OAUTH_CLIENTS_FILE)`,
        );
    }
  }
  if (mode === 'none') {
    for (const name of ['JWT_PUBLIC_KEY_FILE', 'JWT_PRIVATE_KEY_FILE', 'OAUTH_CLIENTS_FILE']) {
      if (readSetting(env, name)) problems.add(`AUTH_MODE=none contradicts ${name}; unset one of them`);
    }
    return { mode };
  }
  const issuer = readSetting(env, 'JWT_ISSUER') ?? DEFAULT_ISSUER;
  const audience = readSetting(env, 'JWT_AUDIENCE') ?? DEFAULT_AUDIENCE;
  if (publicKeyFile === undefined) {
    problems.add(
      'JWT_PUBLIC_KEY_FILE is required when AUTH_MODE is jwt (the default); set AUTH_MODE=none only for the insecure start stack',
    );
    return { mode, publicKey: '', issuer, audience };
  }
  const publicKey = readFileSetting('JWT_PUBLIC_KEY_FILE', publicKeyFile, problems) ?? '';
  const publicKeyObject = publicKey
    ? p256Key('JWT_PUBLIC_KEY_FILE', publicKey, 'public', problems)
    : undefined;
  if (privateKeyFile === undefined) {
    if (clientsFile)
      problems.add(
        'OAUTH_CLIENTS_FILE is set but JWT_PRIVATE_KEY_FILE is not; the token endpoint needs both',
      );
    return { mode, publicKey, issuer, audience };
  }
  if (clientsFile === undefined) {
    problems.add('JWT_PRIVATE_KEY_FILE is set but OAUTH_CLIENTS_FILE is not; the token endpoint needs both');
    return { mode, publicKey, issuer, audience };
  }
  const privateKey = readFileSetting('JWT_PRIVATE_KEY_FILE', privateKeyFile, problems) ?? '';
  const privateKeyObject = privateKey
    ? p256Key('JWT_PRIVATE_KEY_FILE', privateKey, 'private', problems)
    : undefined;
  if (publicKeyObject && privateKeyObject) {
    const derived = createPublicKey(privateKeyObject).export({ format: 'der', type: 'spki' });
    if (!derived.equals(publicKeyObject.export({ format: 'der', type: 'spki' }))) {
      problems.add('JWT_PRIVATE_KEY_FILE does not match JWT_PUBLIC_KEY_FILE; issued tokens would not verify');
    }
  }
  const clientsText = readFileSetting('OAUTH_CLIENTS_FILE', clientsFile, problems);
  const clients = clientsText === undefined ? [] : parseClients('OAUTH_CLIENTS_FILE', clientsText, problems);
  const failureLimit = integerSetting(env, 'OAUTH_FAILURE_LIMIT', DEFAULT_FAILURE_LIMIT, [1, 1000], problems);
  const failureWindowSeconds = integerSetting(
    env,
    'OAUTH_FAILURE_WINDOW_SECONDS',
    DEFAULT_FAILURE_WINDOW_SECONDS,
    [1, 86_400],
    problems,
  );
  return {
    mode,
    publicKey,
    issuer,
    audience,
    tokenIssuer: { privateKey, clients, failureLimit, failureWindowSeconds },
  };
}

function loadTls(env: Env, problems: Problems): TlsConfig | undefined {
  const dir = readSetting(env, 'TLS_CERT_DIR');
  const clientAuth = readSetting(env, 'TLS_CLIENT_AUTH');
  if (clientAuth !== undefined && clientAuth !== 'require' && clientAuth !== 'none') {
    problems.add(`TLS_CLIENT_AUTH=${clientAuth} is not one of require, none`);
  }
  const requireClientCert = clientAuth === 'require';
  if (dir === undefined) {
    if (requireClientCert)
      problems.add('TLS_CLIENT_AUTH=require needs TLS_CERT_DIR (client certificates need HTTPS)');
    return undefined;
  }
  const [cert, key, ca] = ['tls.crt', 'tls.key', 'ca.crt'].map((file) =>
    readFileSetting('TLS_CERT_DIR', join(dir, file), problems),
  );
  if (cert === undefined || key === undefined || ca === undefined) return undefined;
  return { cert, key, ca, requireClientCert };
}

/** The PostgreSQL part alone, shared by the server and the migrate command. */
export function loadDbConfig(env: Env): DbConfig {
  const problems = new Problems();
  const sslmode = oneOf(env, 'PGSSLMODE', SSL_MODES, 'verify-full', problems);
  const sslmodeValid = problems.list.length === 0;
  const rootCertFile = readSetting(env, 'PGSSLROOTCERT');
  let sslRootCert: DbConfig['sslRootCert'];
  if (rootCertFile === 'system') sslRootCert = 'system';
  else if (rootCertFile !== undefined) sslRootCert = readFileSetting('PGSSLROOTCERT', rootCertFile, problems);
  else if (sslmodeValid && (sslmode === 'verify-ca' || sslmode === 'verify-full')) {
    const origin = readSetting(env, 'PGSSLMODE') === undefined ? ' (the default)' : '';
    problems.add(
      `PGSSLMODE=${sslmode}${origin} needs PGSSLROOTCERT (the CA file, or "system"); set PGSSLMODE=disable only for a plaintext database`,
    );
  }
  const user = readSetting(env, 'PGUSER') ?? 'postgres';
  const config: DbConfig = {
    host: readSetting(env, 'PGHOST') ?? 'localhost',
    port: portSetting(env, 'PGPORT', 5432, problems),
    database: readSetting(env, 'PGDATABASE') ?? user,
    user,
    password: env.PGPASSWORD === undefined || env.PGPASSWORD === '' ? undefined : env.PGPASSWORD,
    sslmode,
    sslRootCert,
  };
  if (config.port === 0) problems.add('PGPORT=0 is not a usable port');
  if (problems.list.length > 0) throw new ConfigError(problems.list);
  return config;
}

export function loadConfig(env: Env): ApiConfig {
  const problems = new Problems();
  const port = portSetting(env, 'PORT', 3000, problems);
  // An ephemeral main port (tests) gets an ephemeral metrics port unless one is named.
  const metricsPort = portSetting(env, 'METRICS_PORT', port === 0 ? 0 : 9464, problems);
  if (port !== 0 && port === metricsPort) problems.add(`METRICS_PORT=${metricsPort} must differ from PORT`);
  const headers = oneOf(env, 'SECURITY_HEADERS', ['on', 'off'] as const, 'on', problems);
  const config = {
    port,
    host: readSetting(env, 'HOST') ?? '127.0.0.1',
    metricsPort,
    logLevel: oneOf(env, 'LOG_LEVEL', LOG_LEVELS, 'info', problems),
    auth: loadAuth(env, problems),
    tls: loadTls(env, problems),
    securityHeaders: headers === 'on',
  };
  let db: DbConfig | undefined;
  try {
    db = loadDbConfig(env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    problems.list.push(...error.problems);
  }
  if (problems.list.length > 0 || db === undefined) throw new ConfigError(problems.list);
  return { ...config, db };
}
