// The reconciler against the real API and a real PostgreSQL, in the start and the hardened shape.
import { randomBytes } from 'node:crypto';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi } from '../../api/src/start.js';
import { migrate, seed } from '../../api/src/db/migrate.js';
import { createCertificateAuthority, issueCertificate, writeTlsCertDir } from '../../../test-support/pki.js';
import { startPostgres, type PostgresServer } from '../../../test-support/postgres.js';
import { createHardenedSetup, type HardenedSetup } from './hardened.js';
import { runReconciler, type RunResult } from './helpers.js';

type Api = Awaited<ReturnType<typeof startApi>>;

const WRONG_SECRET = randomBytes(32).toString('base64url');
const JWT_LIKE = /eyJ[\w-]{10,}\.[\w-]{10,}/;

let pg: PostgresServer;
let sql: postgres.Sql;
let setup: HardenedSetup;
let secret: string;
let startMode: Api;
let hardened: Api;
let revoked: Api;
let readUserOnly: Api;
const files = { otherCa: '', otherClientDir: '', wrongSecret: '' };

beforeAll(async () => {
  pg = await startPostgres();
  sql = postgres({
    host: pg.host,
    port: pg.port,
    database: pg.database,
    user: pg.user,
    password: pg.password,
    max: 2,
    onnotice: () => undefined,
  });
  await migrate(sql);
  await seed(sql, {});
  // The seed is consistent; add one inactive user and one currency mismatch so the anomaly rules have work.
  await sql`update users set is_active = false where id = (select min(user_id) from transactions)`;
  await sql`update transactions set currency = case when currency = 'EUR' then 'GBP' else 'EUR' end
            where id = (select max(id) from transactions)`;

  setup = await createHardenedSetup();
  secret = setup.secret;
  const otherCa = await createCertificateAuthority('someone else');
  files.otherClientDir = await writeTlsCertDir(
    await issueCertificate(otherCa, { commonName: 'reconciler', usage: 'client' }),
  );
  files.otherCa = join(setup.dir, 'other-ca.crt');
  files.wrongSecret = join(setup.dir, 'wrong-secret');
  await writeFile(files.otherCa, otherCa.cert);
  await writeFile(files.wrongSecret, WRONG_SECRET, { mode: 0o600 });

  const db = { ...pg.env, PGSSLMODE: 'disable', LOG_LEVEL: 'silent', HOST: '127.0.0.1', PORT: '0' };
  const jwt = async (clientsFile: string, scopes?: string[], clientId?: string) => ({
    ...db,
    ...setup.apiEnv(await setup.writeClients(clientsFile, scopes, clientId)),
  });
  startMode = await startApi({ ...db, AUTH_MODE: 'none', SECURITY_HEADERS: 'off' });
  hardened = await startApi(await jwt('clients.json'));
  // Revocation = the client's entry removed from the registry; another client remains.
  revoked = await startApi(await jwt('revoked.json', ['read:user'], 'someone-else'));
  readUserOnly = await startApi(await jwt('read-user-only.json', ['read:user']));
});

afterAll(async () => {
  await Promise.all([startMode, hardened, revoked, readUserOnly].map((api) => api?.close()));
  await sql?.end({ timeout: 5 });
  await pg?.stop();
  await setup?.remove();
  if (files.otherClientDir) await rm(files.otherClientDir, { recursive: true, force: true });
});

function hardenedEnv(api: Api, overrides: Record<string, string | undefined> = {}): Record<string, string> {
  const env: Record<string, string | undefined> = {
    ...setup.reconcilerEnv(api.url),
    RECONCILER_RETRY_BASE_MS: '20',
    ...overrides,
  };
  return Object.fromEntries(
    Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined),
  );
}

/** The expected report, computed by PostgreSQL from the same rows, independently of the reconciler. */
async function expectedFromSql(topN: number) {
  const byCurrency = await sql<{ currency: string; count: number; total: string }[]>`
    select currency, count(*)::int as count, sum(amount)::text as total
    from transactions group by currency order by currency`;
  const top = await sql<{ currency: string; user_id: number; count: number; total: string }[]>`
    select currency, user_id, count, total::text as total from (
      select currency, user_id, count(*)::int as count, sum(amount) as total,
             row_number() over (partition by currency order by sum(amount) desc, user_id) as rank
      from transactions group by currency, user_id) ranked
    where rank <= ${topN} order by currency, rank`;
  const [counts] = await sql<{ users: number; inactive: number; transactions: number; with_tx: number }[]>`
    select (select count(*)::int from users) as users,
           (select count(*)::int from users where not is_active) as inactive,
           (select count(*)::int from transactions) as transactions,
           (select count(distinct user_id)::int from transactions) as with_tx`;
  const [anomalies] = await sql<{ inactive: number; mismatch: number }[]>`
    select count(*) filter (where not u.is_active)::int as inactive,
           count(*) filter (where t.currency <> u.currency)::int as mismatch
    from transactions t join users u on u.id = t.user_id`;
  const topByCurrency: Record<string, { userId: number; count: number; total: string }[]> = {};
  for (const row of top) {
    (topByCurrency[row.currency] ??= []).push({ userId: row.user_id, count: row.count, total: row.total });
  }
  return {
    counts: { users: counts?.users, inactiveUsers: counts?.inactive, transactions: counts?.transactions },
    totalsByCurrency: Object.fromEntries(
      byCurrency.map((r) => [r.currency, { count: r.count, total: r.total }]),
    ),
    perUser: { count: counts?.with_tx, top: topByCurrency },
    anomalies: { inactive: anomalies?.inactive ?? -1, mismatch: anomalies?.mismatch ?? -1 },
  };
}

async function expectMatchesSql(result: RunResult): Promise<void> {
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  const report = result.report;
  const expected = await expectedFromSql(10);
  expect(report?.counts).toMatchObject(expected.counts);
  expect(report?.totalsByCurrency).toEqual(expected.totalsByCurrency);
  expect(report?.perUser).toEqual(expected.perUser);
  expect(report?.anomalies.unknownUser.count).toBe(0);
  expect(report?.anomalies.inactiveUser.count).toBe(expected.anomalies.inactive);
  expect(report?.anomalies.currencyMismatch.count).toBe(expected.anomalies.mismatch);
  expect(expected.anomalies.inactive).toBeGreaterThan(0);
  expect(expected.anomalies.mismatch).toBeGreaterThan(0);
}

describe('reconciler against the real API', () => {
  it('start stack (HTTP, AUTH_MODE=none): totals match an independent SQL computation', async () => {
    const result = await runReconciler({ API_URL: startMode.url });
    await expectMatchesSql(result);
    expect(result.report?.counts.transactions).toBe(5944);
    expect(result.report?.counts.users).toBe(77);
  });

  it('hardened stack (HTTPS, client certificate, JWT from the token endpoint): same totals, no secret or token printed', async () => {
    expect(hardened.url).toMatch(/^https:/);
    const result = await runReconciler(hardenedEnv(hardened));
    await expectMatchesSql(result);
    const output = result.stdout + result.stderr;
    expect(output).not.toContain(secret);
    expect(output).not.toMatch(JWT_LIKE);
  });

  it('refuses a server certificate from another CA: non-zero exit, one readable line', async () => {
    const result = await runReconciler(hardenedEnv(hardened, { TLS_CA_FILE: files.otherCa }));
    expect(result.code).toBe(1);
    expect(result.failure?.kind).toBe('tls');
    expect(result.failure?.error).toMatch(/TLS verification of the server failed/);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stdout).toBe('');
  });

  it('does not trust the workshop CA through the system roots when TLS_CA_FILE is unset', async () => {
    const result = await runReconciler(hardenedEnv(hardened, { TLS_CA_FILE: undefined }));
    expect(result.code).toBe(1);
    expect(result.failure?.kind).toBe('tls');
  });

  it('is refused by the API without a client certificate from its CA', async () => {
    for (const TLS_CERT_DIR of [undefined, files.otherClientDir]) {
      const result = await runReconciler(
        hardenedEnv(hardened, { TLS_CERT_DIR, RECONCILER_MAX_ATTEMPTS: '2' }),
      );
      expect(result.code).toBe(1);
      expect(result.stdout).toBe('');
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
      expect(result.failure?.error).toMatch(
        /closed the TLS connection: does it require a client certificate/,
      );
    }
  });

  it('a wrong client secret gives a clear non-zero exit and is never printed', async () => {
    const result = await runReconciler(
      hardenedEnv(hardened, { OAUTH_CLIENT_SECRET_FILE: files.wrongSecret }),
    );
    expect(result.code).toBe(1);
    expect(result.failure?.kind).toBe('auth');
    expect(result.failure?.error).toMatch(/token endpoint .*\/oauth\/token answered 401 invalid_client/);
    expect(result.stdout + result.stderr).not.toContain(WRONG_SECRET);
    expect(result.stdout + result.stderr).not.toContain(secret);
  });

  it('a revoked client (no longer in the registry) gives a clear non-zero exit', async () => {
    const result = await runReconciler(hardenedEnv(revoked));
    expect(result.code).toBe(1);
    expect(result.failure?.error).toMatch(/answered 401 invalid_client.*was refused/);
    expect(result.stdout + result.stderr).not.toContain(secret);
  });

  it('a token without read:transaction stops at the 403 of /transactions', async () => {
    const result = await runReconciler(hardenedEnv(readUserOnly, { OAUTH_SCOPE: 'read:user' }));
    expect(result.code).toBe(1);
    expect(result.failure?.error).toMatch(/^GET \/transactions\?.* answered 403 Forbidden/);
    expect(result.stdout + result.stderr).not.toMatch(JWT_LIKE);
  });

  it('an anonymous run against the hardened API is refused with 401', async () => {
    const result = await runReconciler(
      hardenedEnv(hardened, { OAUTH_CLIENT_ID: undefined, OAUTH_CLIENT_SECRET_FILE: undefined }),
    );
    expect(result.code).toBe(1);
    expect(result.failure?.error).toMatch(/^GET \/users\?.* answered 401 Unauthorized/);
  });
});
