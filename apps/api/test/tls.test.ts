// TLS in transit: HTTPS with required client certificates, and PostgreSQL verify-full that really verifies.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import { connect as netConnect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createCertificateAuthority,
  issueCertificate,
  writeTlsCertDir,
  type IssuedCertificate,
} from '../../../test-support/pki.js';
import { loadDbConfig } from '../src/config.js';
import { createSql } from '../src/db/client.js';
import { startApi, type StartedApi } from '../src/start.js';
import {
  LogCapture,
  createAuthFixture,
  request,
  startDatabase,
  type AuthFixture,
  type Database,
} from './helpers.js';

let db: Database;
let auth: AuthFixture;
let api: StartedApi;
let certDir: string;
let caPem: string;
let client: IssuedCertificate;
let strangerClient: IssuedCertificate;

beforeAll(async () => {
  const ca = await createCertificateAuthority('workshop CA');
  const otherCa = await createCertificateAuthority('attacker CA');
  const [apiCert, pgCert, clientCert, strangerCert] = await Promise.all([
    issueCertificate(ca, {
      commonName: 'api',
      dnsNames: ['localhost'],
      ipAddresses: ['127.0.0.1'],
      usage: 'server',
    }),
    // The database certificate names only "localhost": dialling 127.0.0.1 must fail verify-full.
    issueCertificate(ca, { commonName: 'postgres', dnsNames: ['localhost'], usage: 'server' }),
    issueCertificate(ca, { commonName: 'reconciler', usage: 'client' }),
    issueCertificate(otherCa, { commonName: 'reconciler', usage: 'client' }),
  ]);
  caPem = ca.cert;
  client = clientCert;
  strangerClient = strangerCert;
  [db, auth, certDir] = await Promise.all([
    startDatabase({ tls: pgCert, requireTls: true, connectWith: { PGHOST: 'localhost' } }),
    createAuthFixture(),
    writeTlsCertDir(apiCert),
  ]);
  api = await startApi(
    {
      ...db.pg.env,
      ...auth.env,
      PGHOST: 'localhost',
      PGSSLMODE: 'verify-full',
      PORT: '0',
      LOG_LEVEL: 'warn',
      TLS_CERT_DIR: certDir,
      TLS_CLIENT_AUTH: 'require',
    },
    { logStream: new LogCapture() },
  );
});

afterAll(async () => {
  await api?.close();
  await db?.stop();
  await auth?.cleanup();
  if (certDir) await rm(certDir, { recursive: true, force: true });
});

const withClientCert = (extra: ConnectionOptions = {}) => ({
  tls: { ca: caPem, cert: client.cert, key: client.key, ...extra },
});

/** Resolves with the negotiated protocol, or rejects with the handshake error. */
function handshake(url: string, options: ConnectionOptions): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ host: hostname, port: Number(port), ...options }, () => {
      const protocol = socket.getProtocol() ?? '';
      // TLS 1.3 servers check the client certificate after the handshake: wait for a refusal.
      socket.once('data', () => undefined);
      setTimeout(() => {
        socket.destroy();
        resolve(protocol);
      }, 200);
    });
    socket.once('error', reject);
  });
}

describe('HTTPS API with TLS_CLIENT_AUTH=require', () => {
  it('serves a client that trusts the CA and presents a certificate from it', async () => {
    expect(api.url).toMatch(/^https:/);
    const res = await request(`${api.url}/healthz`, withClientCert());
    expect(res.status).toBe(200);
    expect(res.headers['strict-transport-security']).toContain('max-age=');
  });

  it('reaches PostgreSQL over verify-full TLS', async () => {
    const res = await request(`${api.url}/readyz`, withClientCert());
    expect(res.json()).toEqual({ status: 'ready' });
    const [row] = await db.sql`
      select bool_and(s.ssl) as ssl, count(*)::int as n
      from pg_stat_ssl s join pg_stat_activity a using (pid)
      where a.application_name = 'secure-workshop-api'`;
    expect(row?.n).toBeGreaterThan(0);
    expect(row?.ssl).toBe(true);
  });

  it('refuses plaintext HTTP on the TLS port', async () => {
    const plain = api.url.replace('https:', 'http:');
    await expect(request(`${plain}/healthz`)).rejects.toThrow();
    // A raw socket sees the connection closed without any HTTP answer.
    const { hostname, port } = new URL(api.url);
    const answer = await new Promise<string>((resolve) => {
      const socket = netConnect({ host: hostname, port: Number(port) }, () => {
        socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
      });
      let data = '';
      socket.on('data', (chunk: Buffer) => (data += chunk.toString('latin1')));
      socket.on('close', () => resolve(data));
      socket.on('error', () => resolve(data));
    });
    expect(answer).not.toMatch(/^HTTP\/1\.1 200/);
  });

  it('refuses TLS 1.1 while TLS 1.2 with the same client settings works', async () => {
    // The client must be willing to speak old protocols, so that the refusal is the server's.
    const legacy = { ...withClientCert().tls, ciphers: 'DEFAULT@SECLEVEL=0', minVersion: 'TLSv1' as const };
    await expect(handshake(api.url, { ...legacy, maxVersion: 'TLSv1.1' })).rejects.toThrow(
      /alert protocol version/i,
    );
    await expect(handshake(api.url, { ...legacy, maxVersion: 'TLSv1.2' })).resolves.toBe('TLSv1.2');
  });

  it('refuses a client without a certificate', async () => {
    await expect(request(`${api.url}/healthz`, { tls: { ca: caPem } })).rejects.toThrow(
      /certificate required|handshake failure|socket hang up|ECONNRESET/i,
    );
  });

  it('refuses a client certificate issued by another CA', async () => {
    await expect(
      request(`${api.url}/healthz`, {
        tls: { ca: caPem, cert: strangerClient.cert, key: strangerClient.key },
      }),
    ).rejects.toThrow(/unknown ca|certificate|socket hang up|ECONNRESET/i);
  });

  it('keeps probes and metrics on the plain-HTTP metrics port for the kubelet', async () => {
    expect(api.metricsUrl).toMatch(/^http:/);
    expect((await request(`${api.metricsUrl}/healthz`)).status).toBe(200);
    expect((await request(`${api.metricsUrl}/readyz`)).status).toBe(200);
    expect((await request(`${api.metricsUrl}/metrics`)).body).toContain('http_requests_total');
  });
});

describe('PostgreSQL sslmode', () => {
  let strangerCaDir: string;
  const strangerCaFile = () => join(strangerCaDir, 'ca.crt');

  beforeAll(async () => {
    strangerCaDir = await mkdtemp(join(tmpdir(), 'ca-'));
    await writeFile(strangerCaFile(), (await createCertificateAuthority('unrelated CA')).cert);
  });

  afterAll(async () => {
    if (strangerCaDir) await rm(strangerCaDir, { recursive: true, force: true });
  });

  const dbConfig = (overrides: Record<string, string>) => loadDbConfig({ ...db.pg.env, ...overrides });

  async function firstQuery(overrides: Record<string, string>): Promise<unknown> {
    const sql = createSql(dbConfig(overrides), { max: 1, connectTimeoutSeconds: 5 });
    try {
      return (await sql`select 1 as one`)[0];
    } finally {
      await sql.end({ timeout: 1 });
    }
  }

  it('verify-full refuses a server whose certificate names another host', async () => {
    await expect(firstQuery({ PGHOST: '127.0.0.1', PGSSLMODE: 'verify-full' })).rejects.toThrow(
      /does not match certificate|altnames/i,
    );
  });

  it('verify-full accepts the host the certificate names', async () => {
    await expect(firstQuery({ PGHOST: 'localhost', PGSSLMODE: 'verify-full' })).resolves.toEqual({ one: 1 });
  });

  it('verify-full refuses a server signed by a CA we do not trust', async () => {
    await expect(
      firstQuery({ PGHOST: 'localhost', PGSSLMODE: 'verify-full', PGSSLROOTCERT: strangerCaFile() }),
    ).rejects.toThrow(/self-signed|unable to verify|unable to get/i);
  });

  it('require encrypts without verifying, as in libpq (with a root certificate it verifies the chain)', async () => {
    await expect(
      firstQuery({ PGHOST: '127.0.0.1', PGSSLMODE: 'require', PGSSLROOTCERT: '' }),
    ).resolves.toEqual({
      one: 1,
    });
    await expect(firstQuery({ PGHOST: '127.0.0.1', PGSSLMODE: 'require' })).resolves.toEqual({ one: 1 });
    await expect(
      firstQuery({ PGHOST: '127.0.0.1', PGSSLMODE: 'require', PGSSLROOTCERT: strangerCaFile() }),
    ).rejects.toThrow(/self-signed|unable to verify|unable to get/i);
  });

  it('verify-ca checks the chain but not the name; disable is refused by a TLS-only server', async () => {
    await expect(firstQuery({ PGHOST: '127.0.0.1', PGSSLMODE: 'verify-ca' })).resolves.toEqual({ one: 1 });
    await expect(firstQuery({ PGSSLMODE: 'disable' })).rejects.toThrow(/no encryption|pg_hba/);
  });

  it('an API pointed at the wrong name stays up but is not ready', async () => {
    const misnamed = await startApi(
      {
        ...db.pg.env,
        ...auth.env,
        PGHOST: '127.0.0.1',
        PGSSLMODE: 'verify-full',
        PORT: '0',
        LOG_LEVEL: 'silent',
      },
      { logStream: new LogCapture() },
    );
    try {
      expect((await request(`${misnamed.metricsUrl}/readyz`)).status).toBe(503);
    } finally {
      await misnamed.close();
    }
  });
});
