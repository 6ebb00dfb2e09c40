// One throw-away world for every measurement: a workshop CA, PostgreSQL with TLS, the seeded data set,
// JWT keys, OAuth clients and the certificate directories each server and client needs.
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSql } from '../../apps/api/src/db/client.js';
import { loadDbConfig } from '../../apps/api/src/config.js';
import { migrate, seed } from '../../apps/api/src/db/migrate.js';
import { startPostgres, type PostgresServer } from '../../test-support/postgres.js';
import {
  createCertificateAuthority,
  createEcKeyPair,
  issueCertificate,
  writeTlsCertDir,
} from '../../test-support/pki.js';

export const BENCH_CLIENT = 'bench';
export const RECONCILER_CLIENT = 'reconciler';
const ALL_SCOPES = ['read:user', 'modify:user', 'read:transaction', 'modify:transaction'];

export interface Fixture {
  dir: string;
  pg: PostgresServer;
  /** libpq variables for a plaintext connection (start mode). */
  pgPlain: Record<string, string>;
  /** libpq variables for TLS verify-full by DNS name (end mode, baseline, pgbench). */
  pgVerifyFull: Record<string, string>;
  users: number;
  transactions: number;
  seedSeconds: number;
  caPem: string;
  serverCertDir: string;
  clientCertDir: string;
  client: { cert: string; key: string };
  jwt: { publicKeyFile: string; privateKeyFile: string; clientsFile: string };
  clientSecrets: Record<string, string>;
  reconcilerSecretFile: string;
  /** Secret of the baseline's HS256 tokens. */
  hs256Secret: string;
  remove(): Promise<void>;
}

export async function createFixture(size: { users: number; transactions: number }): Promise<Fixture> {
  const dir = await mkdtemp(join(tmpdir(), 'bench-'));
  const ca = await createCertificateAuthority('bench workshop ca');
  const local = { dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] };
  const pgCert = await issueCertificate(ca, { commonName: 'localhost', ...local, usage: 'server' });
  const serverCertDir = join(dir, 'server');
  const clientCertDir = join(dir, 'client');
  await Promise.all([mkdir(serverCertDir), mkdir(clientCertDir)]);
  await writeTlsCertDir(
    await issueCertificate(ca, { commonName: 'api', ...local, usage: 'server' }),
    serverCertDir,
  );
  const client = await issueCertificate(ca, { commonName: 'bench-client', usage: 'client' });
  await writeTlsCertDir(client, clientCertDir);
  const keys = await createEcKeyPair();
  const jwt = {
    publicKeyFile: join(dir, 'jwt.pub'),
    privateKeyFile: join(dir, 'jwt.key'),
    clientsFile: join(dir, 'clients.json'),
  };
  await writeFile(jwt.publicKeyFile, keys.publicKey);
  await writeFile(jwt.privateKeyFile, keys.privateKey, { mode: 0o600 });
  const clientSecrets = {
    [BENCH_CLIENT]: randomBytes(32).toString('base64url'),
    [RECONCILER_CLIENT]: randomBytes(32).toString('base64url'),
  };
  const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');
  await writeFile(
    jwt.clientsFile,
    JSON.stringify([
      { clientId: BENCH_CLIENT, secretSha256: sha256(clientSecrets[BENCH_CLIENT] ?? ''), scopes: ALL_SCOPES },
      {
        clientId: RECONCILER_CLIENT,
        secretSha256: sha256(clientSecrets[RECONCILER_CLIENT] ?? ''),
        scopes: ['read:user', 'read:transaction'],
      },
    ]),
    { mode: 0o600 },
  );
  const reconcilerSecretFile = join(dir, 'reconciler-secret');
  await writeFile(reconcilerSecretFile, clientSecrets[RECONCILER_CLIENT] ?? '', { mode: 0o600 });

  // TLS on, plaintext still accepted: start mode connects in clear, the others verify-full.
  const pg = await startPostgres({ tls: { cert: pgCert.cert, key: pgCert.key, ca: ca.cert } });
  const remove = async (): Promise<void> => {
    await pg.stop();
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const { PGSSLROOTCERT: _rootCert, ...pgEnv } = pg.env;
    const pgPlain = { ...pgEnv, PGSSLMODE: 'disable' };
    const pgVerifyFull = {
      ...pg.env,
      PGHOST: 'localhost',
      PGSSLMODE: 'verify-full',
      PGSSLROOTCERT: pg.caFile ?? '',
    };
    const sql = createSql(loadDbConfig(pgVerifyFull), { max: 1 });
    const started = performance.now();
    try {
      await migrate(sql);
      await seed(sql, size);
      // Fresh statistics, as a production database would have after autovacuum.
      await sql`vacuum analyze`;
    } finally {
      await sql.end({ timeout: 5 });
    }
    return {
      dir,
      pg,
      pgPlain,
      pgVerifyFull,
      ...size,
      seedSeconds: (performance.now() - started) / 1000,
      caPem: ca.cert,
      serverCertDir,
      clientCertDir,
      client: { cert: client.cert, key: client.key },
      jwt,
      clientSecrets,
      reconcilerSecretFile,
      hs256Secret: randomBytes(64).toString('hex'),
      remove,
    };
  } catch (error) {
    await remove();
    throw error;
  }
}
