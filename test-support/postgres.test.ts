import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import postgres from 'postgres';
import { createCertificateAuthority, issueCertificate } from './pki.js';
import { startPostgres, type PostgresServer } from './postgres.js';

describe('startPostgres with requireTls', () => {
  let server: PostgresServer;
  let ca: string;

  beforeAll(async () => {
    const authority = await createCertificateAuthority('test-support CA');
    const cert = await issueCertificate(authority, {
      commonName: 'localhost',
      dnsNames: ['localhost'],
      ipAddresses: ['127.0.0.1'],
      usage: 'server',
    });
    ca = authority.cert;
    server = await startPostgres({ tls: cert, requireTls: true });
  });

  afterAll(async () => {
    await server?.stop();
  });

  const connect = (ssl: postgres.Options<Record<string, never>>['ssl']) =>
    postgres({
      host: server.host,
      port: server.port,
      database: server.database,
      username: server.user,
      password: server.password,
      ssl,
      max: 1,
      connect_timeout: 10,
      onnotice: () => undefined,
    });

  it('accepts a verify-full connection and negotiates TLS 1.2 or newer', async () => {
    const sql = connect({ ca, rejectUnauthorized: true });
    try {
      const [row] = await sql<{ ssl: boolean; version: string }[]>`
        select ssl, version from pg_stat_ssl where pid = pg_backend_pid()`;
      expect(row?.ssl).toBe(true);
      expect(['TLSv1.2', 'TLSv1.3']).toContain(row?.version);
    } finally {
      await sql.end();
    }
  });

  it('refuses a plaintext connection', async () => {
    const sql = connect(false);
    try {
      await expect(sql`select 1`).rejects.toThrow(/no encryption|pg_hba/);
    } finally {
      await sql.end();
    }
  });

  it('refuses a client that does not trust the CA', async () => {
    const sql = connect({ rejectUnauthorized: true });
    try {
      await expect(sql`select 1`).rejects.toThrow(/self-signed|unable to (get|verify)/i);
    } finally {
      await sql.end();
    }
  });

  it('exposes libpq variables that point at the CA file', async () => {
    expect(server.env).toMatchObject({
      PGHOST: '127.0.0.1',
      PGPORT: String(server.port),
      PGSSLMODE: 'verify-full',
    });
    expect(await readFile(server.env.PGSSLROOTCERT ?? '', 'utf8')).toBe(ca);
  });
});

describe('startPostgres without TLS', () => {
  it('serves plaintext connections, then stops and removes its directory', async () => {
    const server = await startPostgres();
    expect(server.env.PGSSLMODE).toBe('disable');
    expect(server.env.PGSSLROOTCERT).toBeUndefined();
    const connection = {
      host: server.host,
      port: server.port,
      database: server.database,
      username: server.user,
      password: server.password,
      ssl: false as const,
      max: 1,
      connect_timeout: 3,
    };
    const sql = postgres(connection);
    try {
      const [row] = await sql<{ answer: number }[]>`select 41 + 1 as answer`;
      expect(row?.answer).toBe(42);
    } finally {
      await sql.end();
    }
    expect(existsSync(server.dataDir)).toBe(true);
    await server.stop();
    expect(existsSync(server.dataDir)).toBe(false);
    const probe = postgres(connection);
    await expect(probe`select 1`).rejects.toThrow(/ECONNREFUSED/);
    await probe.end();
  });
});
