// The roles script and the TLS-only pg_hba checked against a real PostgreSQL server.
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCertificateAuthority, issueCertificate } from '../../test-support/pki';
import { type PostgresServer, postgresBinDir, startPostgres } from '../../test-support/postgres';
import { ROLE_NAMES, rolesInitScript, tlsOnlyHba, tlsServerArgs } from './tls-postgres';

const run = promisify(execFile);

let server: PostgresServer;
const passwords = { owner: 'owner-pw-0123456789abcdef', app: 'app-pw-0123456789abcdef' };

/** psql against the test server with libpq env overrides; resolves to trimmed stdout or rejects with stderr. */
async function psql(overrides: Record<string, string>, sql: string): Promise<string> {
  const { stdout } = await run(
    join(postgresBinDir(), 'psql'),
    ['-X', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-c', sql],
    {
      env: { ...process.env, ...server.env, ...overrides },
    },
  );
  return stdout.trim();
}

beforeAll(async () => {
  const ca = await createCertificateAuthority('tls-postgres test CA');
  const certificate = await issueCertificate(ca, {
    commonName: 'localhost',
    dnsNames: ['localhost'],
    ipAddresses: ['127.0.0.1'],
    usage: 'server',
  });
  server = await startPostgres({ tls: { cert: certificate.cert, key: certificate.key, ca: ca.cert } });
  await writeFile(join(server.dataDir, 'pg_hba.conf'), tlsOnlyHba());
  await psql({}, 'SELECT pg_reload_conf()');
  await psql({}, 'CREATE DATABASE bank');
  await run('sh', ['-c', rolesInitScript()], {
    env: {
      ...process.env,
      ...server.env,
      PATH: `${postgresBinDir()}:${process.env.PATH ?? ''}`,
      POSTGRES_USER: server.user,
      POSTGRES_DB: 'bank',
      POSTGRES_OWNER_PASSWORD: passwords.owner,
      POSTGRES_APP_PASSWORD: passwords.app,
    },
  });
}, 120_000);

afterAll(async () => {
  await server?.stop();
});

const as = (role: 'owner' | 'app', extra: Record<string, string> = {}) => ({
  PGUSER: ROLE_NAMES[role],
  PGPASSWORD: passwords[role],
  PGDATABASE: 'bank',
  ...extra,
});

describe('TLS-only pg_hba', () => {
  it('admits a verify-full TLS connection with the role password', async () => {
    expect(await psql(as('app'), 'SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()')).toBe('t');
  });

  it('rejects a plaintext connection even with the right password', async () => {
    await expect(psql(as('app', { PGSSLMODE: 'disable' }), 'SELECT 1')).rejects.toThrow(
      /rejects connection|no encryption/,
    );
  });

  it('rejects a wrong password over TLS', async () => {
    await expect(psql(as('app', { PGPASSWORD: 'wrong' }), 'SELECT 1')).rejects.toThrow(
      /password authentication failed/,
    );
  });

  it('sets TLS 1.2 as the minimum and points at the mounted files', () => {
    expect(tlsServerArgs()).toEqual(
      expect.arrayContaining([
        'ssl=on',
        'ssl_min_protocol_version=TLSv1.2',
        'ssl_key_file=/etc/postgresql/tls/tls.key',
        'hba_file=/etc/postgresql/conf/pg_hba.conf',
      ]),
    );
  });
});

describe('roles init script', () => {
  it('lets the owner migrate and the app role use rows but not change the schema', async () => {
    await psql(
      as('owner'),
      'CREATE TABLE users (id serial PRIMARY KEY, email text); INSERT INTO users (email) VALUES ($$a@example.com$$)',
    );
    expect(await psql(as('app'), 'SELECT count(*) FROM users')).toBe('1');
    await psql(as('app'), 'INSERT INTO users (email) VALUES ($$b@example.com$$)');
    expect(await psql(as('app'), 'SELECT count(*) FROM users')).toBe('2');
    await expect(psql(as('app'), 'DROP TABLE users')).rejects.toThrow(/must be owner/);
    await expect(psql(as('app'), 'CREATE TABLE evil (id int)')).rejects.toThrow(
      /permission denied for schema public/,
    );
    expect(await psql(as('owner'), 'SELECT count(*) FROM users')).toBe('2');
  });

  it('keeps other roles out of the bank database', async () => {
    await psql({}, "CREATE ROLE outsider LOGIN PASSWORD 'outsider-pw'");
    await expect(
      psql({ PGUSER: 'outsider', PGPASSWORD: 'outsider-pw', PGDATABASE: 'bank' }, 'SELECT 1'),
    ).rejects.toThrow(/permission denied for database "?bank"?/);
  });
});
