// Configuration from the environment through the shared settings reader: every problem at once.
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, Settings, type Env } from '../../api/src/shared/settings.js';
import type { RetryPolicy } from './retry.js';
import { Secret } from './secret.js';

export { ConfigError, type Env };

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

export type ReadText = (path: string) => string;

const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]+$/;

/** Validates the environment once at start-up; throws ConfigError listing each bad value. */
export function loadConfig(
  env: Env,
  readText: ReadText = (path) => readFileSync(path, 'utf8'),
): ReconcilerConfig {
  const settings = new Settings(env, readText);
  const apiUrl = parseHttpUrl(settings, 'API_URL', settings.text('API_URL'), true);
  const apiIsHttps = apiUrl?.protocol === 'https:';

  const tls: TlsSettings = {};
  const caFile = settings.text('TLS_CA_FILE');
  if (caFile !== undefined) {
    if (apiUrl && !apiIsHttps)
      settings.problem(`TLS_CA_FILE is set but API_URL ${apiUrl.origin} is not https`);
    const pem = settings.file('TLS_CA_FILE', caFile, 'CA file');
    if (pem !== undefined) {
      if (isCertificate(pem)) tls.ca = pem;
      else settings.problem(`TLS_CA_FILE: ${caFile} does not contain a PEM certificate`);
    }
  }

  const certDir = settings.text('TLS_CERT_DIR');
  if (certDir !== undefined) {
    if (apiUrl && !apiIsHttps)
      settings.problem(`TLS_CERT_DIR is set but API_URL ${apiUrl.origin} is not https`);
    const cert = settings.file('TLS_CERT_DIR', join(certDir, 'tls.crt'), 'client certificate');
    const key = settings.file('TLS_CERT_DIR', join(certDir, 'tls.key'), 'client key');
    if (cert !== undefined && key !== undefined) {
      const mismatch = checkKeyPair(cert, key);
      if (mismatch) settings.problem(`TLS_CERT_DIR: ${mismatch} in ${certDir}`);
      else {
        tls.cert = cert;
        tls.key = new Secret(key);
      }
    }
  }

  const oauth = loadOAuth(settings, apiUrl);
  const pageSize = settings.integer('RECONCILER_PAGE_SIZE', 1000, [1, 1000]);
  const topN = settings.integer('RECONCILER_TOP_N', 10, [0, 1000]);
  const sampleSize = settings.integer('RECONCILER_SAMPLE_SIZE', 10, [0, 1000]);
  const timeoutMs = settings.integer('RECONCILER_TIMEOUT_MS', 30_000, [100, 600_000]);
  const maxAttempts = settings.integer('RECONCILER_MAX_ATTEMPTS', 5, [1, 10]);
  const baseDelayMs = settings.integer('RECONCILER_RETRY_BASE_MS', 250, [1, 60_000]);
  const limits: RunLimits = {
    maxPages: settings.integer('RECONCILER_MAX_PAGES', DEFAULT_LIMITS.maxPages, [1, 10_000_000]),
    maxUsers: settings.integer('RECONCILER_MAX_USERS', DEFAULT_LIMITS.maxUsers, [1, 10_000_000]),
    maxRunMs: settings.integer('RECONCILER_MAX_RUN_MS', DEFAULT_LIMITS.maxRunMs, [1000, 86_400_000]),
  };

  // A missing API_URL is always among the problems; the check also tells the compiler it is set.
  if (settings.problems.length > 0 || apiUrl === undefined) throw new ConfigError(settings.problems);
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

function loadOAuth(settings: Settings, apiUrl: URL | undefined): OAuthSettings | undefined {
  const clientId = settings.text('OAUTH_CLIENT_ID');
  const secretFile = settings.text('OAUTH_CLIENT_SECRET_FILE');
  const tokenUrlText = settings.text('OAUTH_TOKEN_URL');
  const scope = settings.text('OAUTH_SCOPE') ?? DEFAULT_SCOPE;

  if (clientId === undefined && secretFile === undefined) {
    if (tokenUrlText !== undefined) settings.problem('OAUTH_TOKEN_URL is set but OAUTH_CLIENT_ID is not');
    if (settings.env.OAUTH_SCOPE !== undefined)
      settings.problem('OAUTH_SCOPE is set but OAUTH_CLIENT_ID is not');
    return undefined;
  }
  if (clientId === undefined)
    settings.problem('OAUTH_CLIENT_ID is required when OAUTH_CLIENT_SECRET_FILE is set');
  if (secretFile === undefined)
    settings.problem('OAUTH_CLIENT_SECRET_FILE is required when OAUTH_CLIENT_ID is set');
  if (clientId !== undefined && /[^\x20-\x7e]/.test(clientId)) {
    settings.problem('OAUTH_CLIENT_ID must be printable ASCII (RFC 6749 VSCHAR)');
  }
  if (!scope.split(' ').every((token) => SCOPE_TOKEN.test(token))) {
    settings.problem(`OAUTH_SCOPE must be space-separated scope tokens, got ${JSON.stringify(scope)}`);
  }

  let secret: string | undefined;
  if (secretFile !== undefined) {
    const text = settings.file('OAUTH_CLIENT_SECRET_FILE', secretFile, 'client secret file');
    if (text !== undefined) {
      secret = text.trim();
      if (secret === '') settings.problem(`OAUTH_CLIENT_SECRET_FILE: ${secretFile} is empty`);
    }
  }

  let tokenUrl: URL | undefined;
  if (tokenUrlText !== undefined) tokenUrl = parseHttpUrl(settings, 'OAUTH_TOKEN_URL', tokenUrlText, true);
  else if (apiUrl) tokenUrl = new URL('oauth/token', apiUrl.toString().replace(/\/*$/, '/'));

  // Client secrets and bearer tokens never travel in plaintext: fail closed, unless the deployment
  // says in so many words that it accepts it (the workshop's step 1, before tls-in-transit).
  if (settings.oneOf('OAUTH_ALLOW_PLAINTEXT', ['true', 'false'] as const, 'false') !== 'true') {
    if (apiUrl && apiUrl.protocol !== 'https:') {
      settings.problem(
        `API_URL must be https when OAUTH_CLIENT_ID is set (a bearer token would travel in plaintext; OAUTH_ALLOW_PLAINTEXT=true accepts that)`,
      );
    }
    if (tokenUrlText !== undefined && tokenUrl && tokenUrl.protocol !== 'https:') {
      settings.problem(
        'OAUTH_TOKEN_URL must be https (the client secret would travel in plaintext; OAUTH_ALLOW_PLAINTEXT=true accepts that)',
      );
    }
  }

  if (clientId === undefined || secret === undefined || secret === '' || tokenUrl === undefined)
    return undefined;
  return { tokenUrl: tokenUrl.toString(), clientId, clientSecret: new Secret(secret), scope };
}

function parseHttpUrl(
  settings: Settings,
  name: string,
  text: string | undefined,
  required: boolean,
): URL | undefined {
  if (text === undefined) {
    return required
      ? settings.problem(`${name} is required (e.g. https://api.workshop-end.svc:8443)`)
      : undefined;
  }
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return settings.problem(`${name} is not a URL: ${JSON.stringify(text)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return settings.problem(`${name} must be an http or https URL, got ${url.protocol}`);
  }
  if (url.username !== '' || url.password !== '')
    return settings.problem(`${name} must not contain credentials`);
  if (url.search !== '' || url.hash !== '')
    return settings.problem(`${name} must not contain a query or fragment`);
  return url;
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
