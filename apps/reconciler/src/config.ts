import { X509Certificate, createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ReconcilerError } from './errors.js';
import type { RetryPolicy } from './retry.js';
import { Secret } from './secret.js';

export const DEFAULT_SCOPE = 'read:user read:transaction';

export interface TlsSettings {
  /** PEM bundle that replaces the system roots when set. */
  ca?: string;
  /** Client certificate and key presented to the API (mutual TLS). */
  cert?: string;
  key?: Secret;
}

export interface OAuthSettings {
  tokenUrl: string;
  clientId: string;
  clientSecret: Secret;
  scope: string;
}

/** Bounds of one run, whatever the API sends: a hostile or broken API cannot keep it going or growing. */
export interface RunLimits {
  /** Pages read in one run, users and transactions together. */
  maxPages: number;
  /** Users held in memory (the per-user totals are the only state that grows). */
  maxUsers: number;
  /** Wall time of the whole run, retries included. */
  maxRunMs: number;
}

export const DEFAULT_LIMITS: RunLimits = { maxPages: 20_000, maxUsers: 200_000, maxRunMs: 240_000 };

export interface ReconcilerConfig {
  /** Base URL without a trailing slash; resources are `${apiUrl}/users` and `${apiUrl}/transactions`. */
  apiUrl: string;
  tls: TlsSettings;
  /** Absent: the API is called anonymously (start stack). */
  oauth?: OAuthSettings;
  pageSize: number;
  topN: number;
  sampleSize: number;
  /** Per request: connecting, the headers and the whole body must be done within this time. */
  timeoutMs: number;
  retry: RetryPolicy;
  limits: RunLimits;
}

export type Env = Record<string, string | undefined>;
export type ReadText = (path: string) => string;

/** Every bad setting at once, each as one readable sentence naming the variable. */
export class ConfigError extends ReconcilerError {
  constructor(public readonly problems: string[]) {
    super(`invalid configuration: ${problems.join('; ')}`, 'config');
    this.name = 'ConfigError';
  }
}

const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]+$/;

/** Validates the environment once at start-up; throws ConfigError listing each bad value. */
export function loadConfig(
  env: Env,
  readText: ReadText = (path) => readFileSync(path, 'utf8'),
): ReconcilerConfig {
  const problems: string[] = [];
  const value = (name: string): string | undefined => {
    const raw = env[name];
    return raw === undefined || raw.trim() === '' ? undefined : raw.trim();
  };
  const read = (name: string, path: string, what: string): string | undefined => {
    try {
      return readText(path);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
      problems.push(`${name}: cannot read ${what} ${path} (${code})`);
      return undefined;
    }
  };

  const apiUrl = parseHttpUrl('API_URL', value('API_URL'), problems, true);
  const apiIsHttps = apiUrl?.protocol === 'https:';

  const tls: TlsSettings = {};
  const caFile = value('TLS_CA_FILE');
  if (caFile !== undefined) {
    if (apiUrl && !apiIsHttps) problems.push(`TLS_CA_FILE is set but API_URL ${apiUrl.origin} is not https`);
    const pem = read('TLS_CA_FILE', caFile, 'CA file');
    if (pem !== undefined) {
      if (isCertificate(pem)) tls.ca = pem;
      else problems.push(`TLS_CA_FILE: ${caFile} does not contain a PEM certificate`);
    }
  }

  const certDir = value('TLS_CERT_DIR');
  if (certDir !== undefined) {
    if (apiUrl && !apiIsHttps) problems.push(`TLS_CERT_DIR is set but API_URL ${apiUrl.origin} is not https`);
    const cert = read('TLS_CERT_DIR', join(certDir, 'tls.crt'), 'client certificate');
    const key = read('TLS_CERT_DIR', join(certDir, 'tls.key'), 'client key');
    if (cert !== undefined && key !== undefined) {
      const mismatch = checkKeyPair(cert, key);
      if (mismatch) problems.push(`TLS_CERT_DIR: ${mismatch} in ${certDir}`);
      else {
        tls.cert = cert;
        tls.key = new Secret(key);
      }
    }
  }

  const oauth = loadOAuth(env, value, read, apiUrl, problems);

  const pageSize = integer(value('RECONCILER_PAGE_SIZE'), 'RECONCILER_PAGE_SIZE', 1000, 1, 1000, problems);
  const topN = integer(value('RECONCILER_TOP_N'), 'RECONCILER_TOP_N', 10, 0, 1000, problems);
  const sampleSize = integer(
    value('RECONCILER_SAMPLE_SIZE'),
    'RECONCILER_SAMPLE_SIZE',
    10,
    0,
    1000,
    problems,
  );
  const timeoutMs = integer(
    value('RECONCILER_TIMEOUT_MS'),
    'RECONCILER_TIMEOUT_MS',
    30_000,
    100,
    600_000,
    problems,
  );
  const maxAttempts = integer(
    value('RECONCILER_MAX_ATTEMPTS'),
    'RECONCILER_MAX_ATTEMPTS',
    5,
    1,
    10,
    problems,
  );
  const baseDelayMs = integer(
    value('RECONCILER_RETRY_BASE_MS'),
    'RECONCILER_RETRY_BASE_MS',
    250,
    1,
    60_000,
    problems,
  );

  const limits: RunLimits = {
    maxPages: integer(
      value('RECONCILER_MAX_PAGES'),
      'RECONCILER_MAX_PAGES',
      DEFAULT_LIMITS.maxPages,
      1,
      10_000_000,
      problems,
    ),
    maxUsers: integer(
      value('RECONCILER_MAX_USERS'),
      'RECONCILER_MAX_USERS',
      DEFAULT_LIMITS.maxUsers,
      1,
      10_000_000,
      problems,
    ),
    maxRunMs: integer(
      value('RECONCILER_MAX_RUN_MS'),
      'RECONCILER_MAX_RUN_MS',
      DEFAULT_LIMITS.maxRunMs,
      1000,
      86_400_000,
      problems,
    ),
  };

  if (problems.length > 0 || apiUrl === undefined) throw new ConfigError(problems);
  return {
    apiUrl: apiUrl.toString().replace(/\/+$/, ''),
    tls,
    ...(oauth ? { oauth } : {}),
    pageSize,
    topN,
    sampleSize,
    timeoutMs,
    retry: { maxAttempts, baseDelayMs, maxDelayMs: Math.max(baseDelayMs, 10_000) },
    limits,
  };
}

function loadOAuth(
  env: Env,
  value: (name: string) => string | undefined,
  read: (name: string, path: string, what: string) => string | undefined,
  apiUrl: URL | undefined,
  problems: string[],
): OAuthSettings | undefined {
  const clientId = value('OAUTH_CLIENT_ID');
  const secretFile = value('OAUTH_CLIENT_SECRET_FILE');
  const tokenUrlText = value('OAUTH_TOKEN_URL');
  const scope = value('OAUTH_SCOPE') ?? DEFAULT_SCOPE;

  if (clientId === undefined && secretFile === undefined) {
    if (tokenUrlText !== undefined) problems.push('OAUTH_TOKEN_URL is set but OAUTH_CLIENT_ID is not');
    if (env.OAUTH_SCOPE !== undefined) problems.push('OAUTH_SCOPE is set but OAUTH_CLIENT_ID is not');
    return undefined;
  }
  if (clientId === undefined)
    problems.push('OAUTH_CLIENT_ID is required when OAUTH_CLIENT_SECRET_FILE is set');
  if (secretFile === undefined)
    problems.push('OAUTH_CLIENT_SECRET_FILE is required when OAUTH_CLIENT_ID is set');
  if (clientId !== undefined && /[^\x20-\x7e]/.test(clientId)) {
    problems.push('OAUTH_CLIENT_ID must be printable ASCII (RFC 6749 VSCHAR)');
  }
  if (!scope.split(' ').every((token) => SCOPE_TOKEN.test(token))) {
    problems.push(`OAUTH_SCOPE must be space-separated scope tokens, got ${JSON.stringify(scope)}`);
  }

  let secret: string | undefined;
  if (secretFile !== undefined) {
    const text = read('OAUTH_CLIENT_SECRET_FILE', secretFile, 'client secret file');
    if (text !== undefined) {
      secret = text.trim();
      if (secret === '') problems.push(`OAUTH_CLIENT_SECRET_FILE: ${secretFile} is empty`);
    }
  }

  let tokenUrl: URL | undefined;
  if (tokenUrlText !== undefined) tokenUrl = parseHttpUrl('OAUTH_TOKEN_URL', tokenUrlText, problems, true);
  else if (apiUrl) tokenUrl = new URL('oauth/token', apiUrl.toString().replace(/\/*$/, '/'));

  // Client secrets and bearer tokens never travel in plaintext: fail closed instead.
  if (apiUrl && apiUrl.protocol !== 'https:') {
    problems.push(
      `API_URL must be https when OAUTH_CLIENT_ID is set (a bearer token would travel in plaintext)`,
    );
  }
  if (tokenUrlText !== undefined && tokenUrl && tokenUrl.protocol !== 'https:') {
    problems.push('OAUTH_TOKEN_URL must be https (the client secret would travel in plaintext)');
  }

  if (clientId === undefined || secret === undefined || secret === '' || tokenUrl === undefined)
    return undefined;
  return { tokenUrl: tokenUrl.toString(), clientId, clientSecret: new Secret(secret), scope };
}

function parseHttpUrl(
  name: string,
  text: string | undefined,
  problems: string[],
  required: boolean,
): URL | undefined {
  if (text === undefined) {
    if (required) problems.push(`${name} is required (e.g. https://api.workshop-end.svc:8443)`);
    return undefined;
  }
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    problems.push(`${name} is not a URL: ${JSON.stringify(text)}`);
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    problems.push(`${name} must be an http or https URL, got ${url.protocol}`);
    return undefined;
  }
  if (url.username !== '' || url.password !== '') {
    problems.push(`${name} must not contain credentials`);
    return undefined;
  }
  if (url.search !== '' || url.hash !== '') {
    problems.push(`${name} must not contain a query or fragment`);
    return undefined;
  }
  return url;
}

function integer(
  text: string | undefined,
  name: string,
  fallback: number,
  min: number,
  max: number,
  problems: string[],
): number {
  if (text === undefined) return fallback;
  const parsed = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(parsed) || parsed < min || parsed > max) {
    problems.push(`${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(text)}`);
    return fallback;
  }
  return parsed;
}

function isCertificate(pem: string): boolean {
  try {
    new X509Certificate(pem);
    return true;
  } catch {
    return false;
  }
}

function checkKeyPair(cert: string, key: string): string | undefined {
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(cert);
  } catch {
    return 'tls.crt is not a PEM certificate';
  }
  try {
    return certificate.checkPrivateKey(createPrivateKey(key)) ? undefined : 'tls.key does not match tls.crt';
  } catch {
    return 'tls.key is not a PEM private key';
  }
}
