// Start-up configuration: safe defaults, and one readable line per missing, bad or contradictory setting.
import { spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEcKeyPair } from '../../../test-support/pki.js';
import { ConfigError, loadConfig, type Env } from '../src/config.js';

let dir: string;
let keys: { publicKey: string; privateKey: string };
const file = (name: string) => join(dir, name);
const base: Env = { PGSSLMODE: 'disable' };

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'api-config-'));
  keys = await createEcKeyPair();
  const other = await createEcKeyPair();
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  await writeFile(file('jwt.pub'), keys.publicKey);
  await writeFile(file('jwt.key'), keys.privateKey);
  await writeFile(file('other.key'), other.privateKey);
  await writeFile(file('rsa.pub'), rsa.publicKey.export({ type: 'spki', format: 'pem' }));
  await writeFile(
    file('clients.json'),
    JSON.stringify([{ clientId: 'a', secretSha256: 'ab'.repeat(32), scopes: ['read:user'] }]),
  );
  await writeFile(
    file('bad-clients.json'),
    JSON.stringify([
      { clientId: 'a', secretSha256: 'not-hex', scopes: ['read:user'] },
      { clientId: 'b', secretSha256: 'ab'.repeat(32), scopes: ['admin'] },
    ]),
  );
  await writeFile(file('not-json.json'), '{nope');
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

function problemsOf(env: Env): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('loadConfig', () => {
  it('fails closed: JWT auth is the default and needs its verification key', () => {
    const problems = problemsOf(base);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^JWT_PUBLIC_KEY_FILE is required when AUTH_MODE is jwt \(the default\)/);
  });

  it('loads a complete JWT configuration with safe defaults', () => {
    const config = loadConfig({
      ...base,
      JWT_PUBLIC_KEY_FILE: file('jwt.pub'),
      JWT_PRIVATE_KEY_FILE: file('jwt.key'),
      OAUTH_CLIENTS_FILE: file('clients.json'),
    });
    expect(config).toMatchObject({
      port: 3000,
      host: '127.0.0.1',
      metricsPort: 9464,
      securityHeaders: true,
      tls: undefined,
    });
    expect(config.auth.mode).toBe('jwt');
    expect(config.auth.mode === 'jwt' && config.auth.tokenIssuer?.clients[0]?.clientId).toBe('a');
    expect(config.auth.mode === 'jwt' && config.auth.tokenIssuer).toMatchObject({
      failureLimit: 10,
      failureWindowSeconds: 300,
    });
  });

  it('demands a CA for the default PGSSLMODE (verify-full)', () => {
    const problems = problemsOf({ AUTH_MODE: 'none' });
    expect(problems).toEqual([
      'PGSSLMODE=verify-full (the default) needs PGSSLROOTCERT (the CA file, or "system"); set PGSSLMODE=disable only for a plaintext database',
    ]);
  });

  it('reports every bad value at once, one line each, naming the setting', () => {
    const env: Env = {
      PORT: 'eighty',
      METRICS_PORT: '70000',
      LOG_LEVEL: 'loud',
      AUTH_MODE: 'maybe',
      SECURITY_HEADERS: 'sometimes',
      TLS_CLIENT_AUTH: 'require',
      PGSSLMODE: 'bogus',
      PGPORT: '-1',
    };
    const problems = problemsOf(env);
    for (const name of [
      'PORT',
      'METRICS_PORT',
      'LOG_LEVEL',
      'AUTH_MODE',
      'SECURITY_HEADERS',
      'TLS_CLIENT_AUTH',
      'PGSSLMODE',
      'PGPORT',
    ]) {
      expect(
        problems.filter((line) => line.startsWith(`${name}`)),
        name,
      ).toHaveLength(1);
    }
    for (const line of problems) {
      expect(line).not.toContain('\n');
      expect(line.length).toBeLessThan(200);
    }
  });

  it.each([
    [{ AUTH_MODE: 'none', JWT_PUBLIC_KEY_FILE: 'x' }, /^AUTH_MODE=none contradicts JWT_PUBLIC_KEY_FILE/],
    [
      { JWT_PUBLIC_KEY_FILE: 'JWT', JWT_PRIVATE_KEY_FILE: 'jwt.key' },
      /^JWT_PRIVATE_KEY_FILE is set but OAUTH_CLIENTS_FILE is not/,
    ],
    [
      { JWT_PUBLIC_KEY_FILE: 'JWT', OAUTH_CLIENTS_FILE: 'clients.json' },
      /^OAUTH_CLIENTS_FILE is set but JWT_PRIVATE_KEY_FILE is not/,
    ],
    [
      { JWT_PUBLIC_KEY_FILE: 'JWT', JWT_PRIVATE_KEY_FILE: 'other.key', OAUTH_CLIENTS_FILE: 'clients.json' },
      /^JWT_PRIVATE_KEY_FILE does not match JWT_PUBLIC_KEY_FILE/,
    ],
    [{ JWT_PUBLIC_KEY_FILE: 'rsa.pub' }, /^JWT_PUBLIC_KEY_FILE must hold an EC P-256 public key/],
    [{ JWT_PUBLIC_KEY_FILE: 'clients.json' }, /^JWT_PUBLIC_KEY_FILE does not hold a PEM public key/],
    [{ JWT_PUBLIC_KEY_FILE: 'missing.pub' }, /^JWT_PUBLIC_KEY_FILE: cannot read .*missing\.pub \(ENOENT\)$/],
    [
      { JWT_PUBLIC_KEY_FILE: 'JWT', JWT_PRIVATE_KEY_FILE: 'jwt.key', OAUTH_CLIENTS_FILE: 'not-json.json' },
      /^OAUTH_CLIENTS_FILE is not valid JSON$/,
    ],
    [
      { JWT_PUBLIC_KEY_FILE: 'JWT', JWT_PRIVATE_KEY_FILE: 'jwt.key', OAUTH_CLIENTS_FILE: 'bad-clients.json' },
      /^OAUTH_CLIENTS_FILE\[0\]\.secretSha256 must be 64 hex digits/,
    ],
    [{ AUTH_MODE: 'none', TLS_CERT_DIR: 'no-such-dir' }, /^TLS_CERT_DIR: cannot read .*tls\.crt \(ENOENT\)$/],
    [{ AUTH_MODE: 'none', PORT: '8080', METRICS_PORT: '8080' }, /^METRICS_PORT=8080 must differ from PORT$/],
    [
      { JWT_PUBLIC_KEY_FILE: 'JWT', OAUTH_FAILURE_LIMIT: '5' },
      /^OAUTH_FAILURE_LIMIT is set but the token endpoint is off/,
    ],
    [
      {
        JWT_PUBLIC_KEY_FILE: 'JWT',
        JWT_PRIVATE_KEY_FILE: 'jwt.key',
        OAUTH_CLIENTS_FILE: 'clients.json',
        OAUTH_FAILURE_WINDOW_SECONDS: '0',
      },
      /^OAUTH_FAILURE_WINDOW_SECONDS=0 is not a whole number from 1 to 86400$/,
    ],
  ])('names the contradiction in %j', (settings, expected) => {
    const env: Env = { ...base };
    for (const [name, value] of Object.entries(settings)) {
      // File settings are relative to the fixture directory; "JWT" stands for the matching public key.
      env[name] =
        name.endsWith('_FILE') || name === 'TLS_CERT_DIR' ? file(value === 'JWT' ? 'jwt.pub' : value) : value;
    }
    const problems = problemsOf(env);
    expect(
      problems.some((line) => expected.test(line)),
      problems.join(' | '),
    ).toBe(true);
  });

  it('reports an unknown scope in the client registry', () => {
    const problems = problemsOf({
      ...base,
      JWT_PUBLIC_KEY_FILE: file('jwt.pub'),
      JWT_PRIVATE_KEY_FILE: file('jwt.key'),
      OAUTH_CLIENTS_FILE: file('bad-clients.json'),
    });
    expect(problems).toContain(
      'OAUTH_CLIENTS_FILE[1].scopes must be a list drawn from read:user, modify:user, read:transaction, modify:transaction',
    );
  });
});

describe('server.ts', () => {
  const serverPath = fileURLToPath(new URL('../src/server.ts', import.meta.url));
  const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

  function runServer(
    env: Env,
    untilStdout?: RegExp,
  ): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve, reject) => {
      // One process (no tsx wrapper relaying signals), so SIGTERM reaches the server itself.
      const child = spawn(process.execPath, ['--import', 'tsx', serverPath], {
        cwd: repoRoot,
        env: { PATH: process.env.PATH, ...env },
        stdio: 'pipe',
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        if (untilStdout?.test(stdout)) child.kill('SIGTERM');
      });
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
  }

  it('exits 2 with one JSON line listing every problem, no stack trace and no password', async () => {
    const result = await runServer({ PORT: 'x', PGSSLMODE: 'disable', PGPASSWORD: 'hunter2-secret' });
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    const line = JSON.parse(result.stderr) as { problems: string[] };
    expect(line).toMatchObject({ command: 'api', ok: false, kind: 'config' });
    expect(line.problems).toEqual([
      'PORT=x is not a port number (0-65535)',
      expect.stringMatching(/^JWT_PUBLIC_KEY_FILE is required/),
    ]);
    expect(result.stderr).not.toMatch(/\bat .*\.ts:\d+/);
    expect(result.stderr).not.toContain('hunter2-secret');
  });

  it('warns loudly with AUTH_MODE=none, listens, and closes gracefully on SIGTERM', async () => {
    const result = await runServer(
      { AUTH_MODE: 'none', PGSSLMODE: 'disable', PORT: '0', METRICS_PORT: '0' },
      /Server listening[\s\S]*Server listening/,
    );
    expect(result.stdout).toContain('AUTHENTICATION IS OFF');
    const warning = result.stdout.split('\n').find((line) => line.includes('AUTHENTICATION IS OFF'));
    expect(JSON.parse(warning ?? '{}')).toMatchObject({ level: 40 });
    expect(result.code).toBe(0);
  });
});
