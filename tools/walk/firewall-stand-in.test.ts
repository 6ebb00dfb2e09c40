// The firewall stand-in logs clients in as JumpWire does: real plug_crypto tokens verify, forged,
// expired and foreign ones do not; and its upstream login works against a real TLS-only PostgreSQL.
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signJumpWireClientToken } from '../../infra/lib/jumpwire-credential';
import { createCertificateAuthority, issueCertificate } from '../../test-support/pki';
import { freePort, startPostgres, type PostgresServer } from '../../test-support/postgres';
import { FirewallStandIn, authorize, loadFirewallConfig, verifyClientToken } from './firewall-stand-in';

interface Vector {
  secret: string;
  clientId: string;
  signedAtMs: number;
  maxAgeSeconds: number;
  token: string;
}

const vectors = (
  JSON.parse(readFileSync(path.resolve(__dirname, '../../../shared/jumpwire-vectors.json'), 'utf8')) as {
    vectors: Vector[];
  }
).vectors;

const MANIFEST = '9730a8a2-56a4-4c46-a4de-794f4e7876f5';
const CLIENT = '72440763-56a1-497c-91ae-46891aed8d51';
const SECRET = 'a-root-token-of-the-stack';
const NOW = 1_800_000_000_000;
const token = (overrides: Partial<Parameters<typeof signJumpWireClientToken>[0]> = {}) =>
  signJumpWireClientToken({
    secret: SECRET,
    clientId: CLIENT,
    signedAtMs: NOW - 1000,
    maxAgeSeconds: 3600,
    ...overrides,
  });

describe('verifyClientToken (Plug.Crypto.verify)', () => {
  it.each(vectors)('accepts the token plug_crypto signed for $clientId', (vector) => {
    expect(verifyClientToken(vector.secret, vector.token, vector.signedAtMs + 1000)).toEqual({
      ok: true,
      orgId: 'org_generic',
      clientId: vector.clientId,
    });
  });

  it('refuses a token signed with another secret', () => {
    expect(verifyClientToken(SECRET, token({ secret: 'guessed' }), NOW)).toEqual({
      ok: false,
      reason: 'invalid',
    });
  });

  it('refuses a forged signature and a changed payload', () => {
    const [header, payload] = token().split('.') as [string, string, string];
    expect(verifyClientToken(SECRET, `${header}.${payload}.Zm9yZ2Vk`, NOW).ok).toBe(false);
    const other = token({ clientId: '00000000-0000-4000-8000-000000000000' }).split('.')[1];
    const mac = token().split('.')[2];
    expect(verifyClientToken(SECRET, `${header}.${other}.${mac}`, NOW).ok).toBe(false);
  });

  it('refuses an expired token and one of another kind', () => {
    expect(verifyClientToken(SECRET, token({ signedAtMs: NOW - 7200_000 }), NOW)).toEqual({
      ok: false,
      reason: 'expired',
    });
    expect(verifyClientToken(SECRET, token().replace(/^SFMyNTY/, 'SFM1MTI'), NOW).ok).toBe(false);
    expect(verifyClientToken(SECRET, 'not-a-token', NOW).ok).toBe(false);
  });
});

describe('authorize (client_auth of the manifest)', () => {
  const config = {
    manifests: [
      {
        id: MANIFEST,
        username: 'bank_firewall',
        password: 'p',
        hostname: 'postgres',
        port: 5432,
        database: 'bank',
        ssl: true,
      },
    ],
    clients: new Map([[CLIENT, MANIFEST]]),
  };

  it('lets the API client use its manifest', () => {
    const decision = authorize(config, SECRET, MANIFEST, token(), NOW);
    expect(decision.ok && decision.manifest.username).toBe('bank_firewall');
  });

  it('refuses a valid token for a client the configuration does not list, or another manifest', () => {
    expect(authorize(config, SECRET, MANIFEST, token({ clientId: 'someone-else' }), NOW).ok).toBe(false);
    expect(authorize(config, SECRET, '11111111-1111-4111-8111-111111111111', token(), NOW).ok).toBe(false);
  });
});

describe('FirewallStandIn against a TLS-only PostgreSQL', () => {
  let server: PostgresServer;
  let standIn: FirewallStandIn;
  let port: number;
  let ca: string;
  let dir: string;
  const log: string[] = [];

  beforeAll(async () => {
    const authority = await createCertificateAuthority('stand-in test CA');
    ca = authority.cert;
    const pgCert = await issueCertificate(authority, {
      commonName: 'localhost',
      dnsNames: ['localhost'],
      usage: 'server',
    });
    server = await startPostgres({ tls: { ...pgCert, ca }, requireTls: true });
    const proxyCert = await issueCertificate(authority, {
      commonName: 'jumpwire',
      dnsNames: ['localhost'],
      usage: 'server',
    });
    dir = await mkdtemp(path.join(tmpdir(), 'stand-in-'));
    await writeFile(
      path.join(dir, 'jumpwire.yaml'),
      [
        'manifests:',
        `  - id: ${MANIFEST}`,
        '    root_type: postgresql',
        `    credentials: { username: ${server.user}, password: "${server.password}" }`,
        `    configuration: { type: postgresql, database: ${server.database}, hostname: localhost, port: ${server.port}, ssl: true }`,
        'client_auth:',
        `  - id: ${CLIENT}`,
        `    manifest_id: ${MANIFEST}`,
        '',
      ].join('\n'),
    );
    port = await freePort();
    standIn = new FirewallStandIn({
      listen: { host: '127.0.0.1', port },
      tls: { cert: proxyCert.cert, key: proxyCert.key },
      upstreamCa: ca,
      secret: SECRET,
      config: loadFirewallConfig(dir),
      log: (line) => log.push(line),
    });
    await standIn.start();
  });

  afterAll(async () => {
    await standIn?.stop();
    await server?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const client = (password: string) =>
    postgres({
      host: 'localhost',
      port,
      database: server.database,
      username: MANIFEST,
      password,
      ssl: { ca, rejectUnauthorized: true },
      max: 1,
      prepare: false,
      connect_timeout: 10,
      onnotice: () => undefined,
    });

  it('checks the token, logs in upstream with SCRAM over verified TLS and pipes the session', async () => {
    const sql = client(
      signJumpWireClientToken({
        secret: SECRET,
        clientId: CLIENT,
        signedAtMs: Date.now(),
        maxAgeSeconds: 600,
      }),
    );
    try {
      const [row] = await sql<{ user: string; ssl: boolean }[]>`
        select current_user as user, ssl from pg_stat_ssl where pid = pg_backend_pid()`;
      expect(row).toEqual({ user: server.user, ssl: true });
    } finally {
      await sql.end();
    }
  });

  it('answers a forged token as JumpWire does, without reaching PostgreSQL', async () => {
    const forged = signJumpWireClientToken({
      secret: 'guessed',
      clientId: CLIENT,
      signedAtMs: Date.now(),
      maxAgeSeconds: 600,
    });
    const sql = client(forged);
    try {
      await expect(sql`select 1`).rejects.toThrow(/invalid password/);
    } finally {
      await sql.end();
    }
    expect(log.some((line) => line.includes('token invalid'))).toBe(true);
  });
});
