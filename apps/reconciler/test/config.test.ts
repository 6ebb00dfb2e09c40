import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { X509Certificate } from 'node:crypto';
import { createCertificateAuthority, issueCertificate } from '../../../test-support/pki.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, DEFAULT_SCOPE, loadConfig, type Env } from '../src/config.js';

const SECRET = 'reconciler-secret-0123456789abcdefghijklmnop';
let dir: string;
let caPem: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'reconciler-config-'));
  const ca = await createCertificateAuthority('test ca');
  const client = await issueCertificate(ca, { commonName: 'reconciler', usage: 'client' });
  const other = await issueCertificate(ca, { commonName: 'other', usage: 'client' });
  caPem = ca.cert;
  writeFileSync(join(dir, 'ca.crt'), ca.cert);
  writeFileSync(join(dir, 'secret'), `${SECRET}\n`);
  writeFileSync(join(dir, 'empty'), '\n');
  mkdirSync(join(dir, 'client'));
  writeFileSync(join(dir, 'client', 'tls.crt'), client.cert);
  writeFileSync(join(dir, 'client', 'tls.key'), client.key);
  mkdirSync(join(dir, 'mismatch'));
  writeFileSync(join(dir, 'mismatch', 'tls.crt'), client.cert);
  writeFileSync(join(dir, 'mismatch', 'tls.key'), other.key);
});

function problemsOf(env: Env): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('start stack: only API_URL, anonymous, safe defaults', () => {
    const config = loadConfig({ API_URL: 'http://api.workshop-start.svc:3000/' });
    expect(config.apiUrl).toBe('http://api.workshop-start.svc:3000');
    expect(config.oauth).toBeUndefined();
    expect(config.tls).toEqual({});
    expect(config).toMatchObject({ pageSize: 1000, topN: 10, sampleSize: 10, retry: { maxAttempts: 5 } });
    // Every run is bounded even when nothing is configured (the CronJob's deadline is 300 s).
    expect(config.limits).toEqual({ maxPages: 20_000, maxUsers: 200_000, maxRunMs: 240_000 });
  });

  it('end stack: pinned CA, client certificate, client credentials with the default scope and token URL', () => {
    const config = loadConfig({
      API_URL: 'https://api.workshop-end.svc:8443/v1',
      TLS_CA_FILE: join(dir, 'ca.crt'),
      TLS_CERT_DIR: join(dir, 'client'),
      OAUTH_CLIENT_ID: 'reconciler',
      OAUTH_CLIENT_SECRET_FILE: join(dir, 'secret'),
    });
    expect(config.tls.ca).toBe(caPem);
    expect(new X509Certificate(config.tls.cert ?? '').subject).toBe('CN=reconciler');
    expect(config.oauth?.tokenUrl).toBe('https://api.workshop-end.svc:8443/v1/oauth/token');
    expect(config.oauth?.scope).toBe(DEFAULT_SCOPE);
    expect(config.oauth?.clientSecret.reveal()).toBe(SECRET);
    // Neither the secret nor the private key shows when the config is logged or serialised.
    const shown = `${JSON.stringify(config)} ${inspect(config, { depth: 10 })} ${String(config.oauth?.clientSecret)}`;
    expect(shown).not.toContain(SECRET);
    expect(shown).not.toContain('PRIVATE KEY');
  });

  it('guide step 1 (authn-jwt before tls-in-transit): OAuth over plain HTTP only when the deployment opts in', () => {
    const env = {
      API_URL: 'http://api',
      OAUTH_CLIENT_ID: 'reconciler',
      OAUTH_CLIENT_SECRET_FILE: join(dir, 'secret'),
    };
    expect(() => loadConfig(env)).toThrow(/API_URL must be https when OAUTH_CLIENT_ID is set/);
    const config = loadConfig({ ...env, OAUTH_ALLOW_PLAINTEXT: 'true' });
    expect(config.oauth?.tokenUrl).toBe('http://api/oauth/token');
    expect(() => loadConfig({ ...env, OAUTH_ALLOW_PLAINTEXT: 'false' })).toThrow(/must be https/);
  });

  it('names every bad value in its own sentence', () => {
    const problems = problemsOf({
      API_URL: 'ftp://x',
      TLS_CA_FILE: join(dir, 'missing.crt'),
      RECONCILER_PAGE_SIZE: '5000',
      RECONCILER_MAX_ATTEMPTS: '-1',
      RECONCILER_MAX_PAGES: '0',
      RECONCILER_MAX_USERS: 'lots',
      RECONCILER_MAX_RUN_MS: '10',
    });
    expect(problems).toEqual([
      'API_URL must be an http or https URL, got ftp:',
      `TLS_CA_FILE: cannot read CA file ${join(dir, 'missing.crt')} (ENOENT)`,
      'RECONCILER_PAGE_SIZE=5000 is not a whole number from 1 to 1000',
      'RECONCILER_MAX_ATTEMPTS=-1 is not a whole number from 1 to 10',
      'RECONCILER_MAX_PAGES=0 is not a whole number from 1 to 10000000',
      'RECONCILER_MAX_USERS=lots is not a whole number from 1 to 10000000',
      'RECONCILER_MAX_RUN_MS=10 is not a whole number from 1000 to 86400000',
    ]);
  });

  it.each<[string, Env, RegExp]>([
    ['missing API_URL', {}, /^API_URL is required/],
    ['credentials in the URL', { API_URL: 'https://u:p@api' }, /API_URL must not contain credentials/],
    [
      'a CA file that is no certificate',
      { API_URL: 'https://api', TLS_CA_FILE: '@secret' },
      /does not contain a PEM certificate/,
    ],
    [
      'TLS settings on plain http',
      { API_URL: 'http://api', TLS_CA_FILE: '@ca' },
      /TLS_CA_FILE is set but API_URL http:\/\/api is not https/,
    ],
    [
      'a key that does not match',
      { API_URL: 'https://api', TLS_CERT_DIR: '@mismatch' },
      /tls.key does not match tls.crt/,
    ],
    [
      'a client id without a secret',
      { API_URL: 'https://api', OAUTH_CLIENT_ID: 'r' },
      /OAUTH_CLIENT_SECRET_FILE is required/,
    ],
    [
      'a secret without a client id',
      { API_URL: 'https://api', OAUTH_CLIENT_SECRET_FILE: '@secret' },
      /OAUTH_CLIENT_ID is required/,
    ],
    [
      'an empty secret',
      { API_URL: 'https://api', OAUTH_CLIENT_ID: 'r', OAUTH_CLIENT_SECRET_FILE: '@empty' },
      /is empty/,
    ],
    [
      'credentials over plain http',
      { API_URL: 'http://api', OAUTH_CLIENT_ID: 'r', OAUTH_CLIENT_SECRET_FILE: '@secret' },
      /API_URL must be https when OAUTH_CLIENT_ID is set/,
    ],
    [
      'a plaintext opt-in that is not true or false',
      {
        API_URL: 'http://api',
        OAUTH_CLIENT_ID: 'r',
        OAUTH_CLIENT_SECRET_FILE: '@secret',
        OAUTH_ALLOW_PLAINTEXT: 'yes',
      },
      /OAUTH_ALLOW_PLAINTEXT/,
    ],
    [
      'a plain http token URL',
      {
        API_URL: 'https://api',
        OAUTH_CLIENT_ID: 'r',
        OAUTH_CLIENT_SECRET_FILE: '@secret',
        OAUTH_TOKEN_URL: 'http://idp/token',
      },
      /OAUTH_TOKEN_URL must be https/,
    ],
    [
      'a token URL without a client',
      { API_URL: 'https://api', OAUTH_TOKEN_URL: 'https://idp/token' },
      /OAUTH_TOKEN_URL is set but OAUTH_CLIENT_ID is not/,
    ],
    [
      'a bad scope',
      {
        API_URL: 'https://api',
        OAUTH_CLIENT_ID: 'r',
        OAUTH_CLIENT_SECRET_FILE: '@secret',
        OAUTH_SCOPE: 'read:user  "x"',
      },
      /OAUTH_SCOPE must be/,
    ],
  ])('refuses %s', (_name, env, pattern) => {
    const resolved = Object.fromEntries(
      Object.entries(env).map(([key, value]) => [
        key,
        value?.startsWith('@') ? join(dir, value.slice(1)) : value,
      ]),
    );
    const problems = problemsOf(resolved);
    expect(problems.some((problem) => pattern.test(problem))).toBe(true);
    expect(problems.join(' ')).not.toContain(SECRET);
  });
});
