// `npm run bench [-- --quick] [--profile] [--out FILE]`: what the hardening costs and how the stack compares,
// measured side by side on one PostgreSQL and one seeded data set; writes a Markdown report.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import postgres from 'postgres';
import { BENCH_CLIENT, RECONCILER_CLIENT, createFixture, type Fixture } from './lib/fixture.js';
import { basicAuthorization, fetchAccessToken, hs256Token, tokenRequestBody } from './lib/clients.js';
import { measureJwtCost } from './lib/jwt-cost.js';
import {
  measureHttp,
  measurePgbench,
  type LoadSettings,
  type Measurement,
  type PgbenchScript,
  type RequestPlan,
} from './lib/load.js';
import { describeMachine, loadAverage } from './lib/machine.js';
import { timedNode } from './lib/processes.js';
import { summarizeProfile } from './lib/profile.js';
import { formatReport, ROUTES, type BenchResults, type Route, type Stack } from './lib/report.js';
import { REPO_ROOT, startApiServer, startServer, type ServerProcess } from './lib/servers.js';

const run = promisify(execFile);

interface Profile {
  users: number;
  transactions: number;
  reconcilerSizes: number[];
  load: LoadSettings;
  tokenLoad: LoadSettings;
  pgbenchClients: number;
  jwtIterations: number;
}

const PROFILES: Record<'quick' | 'full', Profile> = {
  quick: {
    users: 2000,
    transactions: 100_000,
    reconcilerSizes: [100_000, 50_000, 10_000],
    load: { connections: 16, warmupSeconds: 2, seconds: 5 },
    tokenLoad: { connections: 16, warmupSeconds: 1, seconds: 3 },
    pgbenchClients: 10,
    jwtIterations: 2000,
  },
  full: {
    users: 10_000,
    transactions: 2_000_000,
    reconcilerSizes: [2_000_000, 1_000_000, 100_000],
    load: { connections: 32, warmupSeconds: 5, seconds: 15 },
    tokenLoad: { connections: 32, warmupSeconds: 3, seconds: 10 },
    pgbenchClients: 10,
    jwtIterations: 20_000,
  },
};

// The API's default pool size (apps/api/src/db/client.ts); the baseline and pgbench get the same.
const POOL_SIZE = 10;
const LOG_LEVEL = 'info';

/** A fixed list of user ids drawn once (mulberry32), so every stack asks for the same rows. */
function userIds(users: number, count: number): number[] {
  let state = 0x5eed;
  const ids: number[] = [];
  for (let i = 0; i < count; i += 1) {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    ids.push(1 + (((t ^ (t >>> 14)) >>> 0) % users));
  }
  return ids;
}

/** (a) The insecure start stack: HTTP, no authentication, no helmet, plaintext PostgreSQL. */
function startModeEnv(fixture: Fixture): Record<string, string> {
  return { ...fixture.pgPlain, AUTH_MODE: 'none', SECURITY_HEADERS: 'off', LOG_LEVEL };
}

/** (b) The hardened end stack: HTTPS with client certificates, ES256 JWT + token endpoint, helmet, verify-full. */
function endModeEnv(fixture: Fixture): Record<string, string> {
  return {
    ...fixture.pgVerifyFull,
    JWT_PUBLIC_KEY_FILE: fixture.jwt.publicKeyFile,
    JWT_PRIVATE_KEY_FILE: fixture.jwt.privateKeyFile,
    OAUTH_CLIENTS_FILE: fixture.jwt.clientsFile,
    TLS_CERT_DIR: fixture.serverCertDir,
    TLS_CLIENT_AUTH: 'require',
    LOG_LEVEL,
  };
}

function plans(ids: number[], headers: (route: Route) => Record<string, string>): Record<Route, RequestPlan> {
  let nextId = 0;
  let nextUser = 0;
  return {
    'GET /users/:id': {
      method: 'GET',
      headers: headers('GET /users/:id'),
      next: () => ({ path: `/users/${ids[nextId++ % ids.length]}` }),
    },
    'GET /transactions?limit=100': {
      method: 'GET',
      headers: headers('GET /transactions?limit=100'),
      next: () => ({ path: '/transactions?limit=100' }),
    },
    'POST /transactions': {
      method: 'POST',
      headers: { ...headers('POST /transactions'), 'content-type': 'application/json' },
      next: () => ({
        path: '/transactions',
        body: JSON.stringify({
          amount: '12.34',
          currency: 'USD',
          description: 'bench purchase',
          user_id: ids[nextUser++ % ids.length],
        }),
      }),
    },
  };
}

// The same statements the API sends (all columns, bound id), as pgbench scripts.
const USER_COLUMNS =
  'id, credit_card, currency, email, is_active, country, num_logins, password_hash, username, created_at';
function pgbenchScripts(users: number): Record<Route, PgbenchScript> {
  return {
    'GET /users/:id': {
      text: `\\set id random(1, :users)\nselect ${USER_COLUMNS} from users where id = :id;\n`,
      variables: { users },
    },
    'GET /transactions?limit=100': {
      text: 'select id, amount, currency, description, "timestamp", user_id from transactions where id > 0 order by id limit 101;\n',
      variables: {},
    },
    'POST /transactions': {
      text: `\\set uid random(1, :users)\ninsert into transactions (amount, currency, description, user_id) values (12.34, 'USD', 'bench purchase', :uid) returning *;\n`,
      variables: { users },
    },
  };
}

function log(message: string): void {
  console.error(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}`);
}

async function measureRoutes(
  stack: Stack,
  server: ServerProcess,
  routePlans: () => Promise<Record<Route, RequestPlan>>,
  load: LoadSettings,
  results: BenchResults,
  tls?: { cert: string; key: string },
  only: readonly Route[] = ROUTES,
): Promise<void> {
  for (const route of only) {
    // Fresh credentials per route: a run must never outlive its access token.
    const plan = (await routePlans())[route];
    const measurement = await measureHttp(server, plan, load, tls);
    results.http[stack][route] = { ...measurement, load: loadAverage() };
    log(
      `${stack} ${route}: ${measurement.requestsPerSecond.toFixed(0)} req/s, ${measurement.failures} failures`,
    );
  }
}

async function ensureBaselineInstalled(): Promise<string> {
  const dir = join(REPO_ROOT, 'bench', 'baseline-express');
  if (!existsSync(join(dir, 'node_modules', 'express'))) {
    log('installing bench/baseline-express (npm ci)');
    await run('npm', ['ci', '--prefix', dir, '--no-audit', '--no-fund'], { cwd: REPO_ROOT });
  }
  return dir;
}

function benchToken(fixture: Fixture, url: string, scope: string): Promise<string> {
  return fetchAccessToken({
    tokenUrl: `${url}/oauth/token`,
    ca: fixture.caPem,
    clientTls: fixture.client,
    clientId: BENCH_CLIENT,
    secret: fixture.clientSecrets[BENCH_CLIENT] ?? '',
    scope,
  });
}

/** Start and end mode again under `node --cpu-prof`, one server per read route (full runs, or --profile). */
async function profileReads(fixture: Fixture, profile: Profile, results: BenchResults): Promise<void> {
  const dir = join(REPO_ROOT, 'bench', '.work', 'profiles');
  await mkdir(dir, { recursive: true });
  const ids = userIds(fixture.users, 10_000);
  const modes: [Stack, Record<string, string>, { cert: string; key: string } | undefined][] = [
    ['start', startModeEnv(fixture), undefined],
    ['end', endModeEnv(fixture), fixture.client],
  ];
  const routes: Route[] = ['GET /users/:id', 'GET /transactions?limit=100'];
  for (const route of routes) {
    for (const [mode, env, tls] of modes) {
      const before = new Set(await readdir(dir));
      const spawned = performance.now();
      const server = await startApiServer(`${mode}-profiled`, env, ['--cpu-prof', '--cpu-prof-dir', dir]);
      let skipSeconds: number;
      try {
        const scope = 'read:user read:transaction';
        const headers: Record<string, string> =
          mode === 'end' ? { authorization: `Bearer ${await benchToken(fixture, server.url, scope)}` } : {};
        skipSeconds = (performance.now() - spawned) / 1000;
        await measureHttp(server, plans(ids, () => headers)[route], profile.load, tls);
      } finally {
        await server.stop();
      }
      const file = (await readdir(dir)).find((name) => !before.has(name) && name.endsWith('.cpuprofile'));
      if (file === undefined) throw new Error(`${mode}: node --cpu-prof wrote no profile into ${dir}`);
      results.profiles.push({
        stack: mode,
        route,
        file: join('bench', '.work', 'profiles', file),
        top: await summarizeProfile(join(dir, file), skipSeconds),
      });
      log(`profiled ${mode} ${route}: ${file}`);
    }
  }
}

async function benchmarkApis(fixture: Fixture, profile: Profile, results: BenchResults): Promise<void> {
  const ids = userIds(fixture.users, 10_000);
  const caFile = join(fixture.serverCertDir, 'ca.crt');
  const clientTls = fixture.client;
  const token = (scope: string, url: string): Promise<string> => benchToken(fixture, url, scope);

  log('(a) start mode: HTTP, AUTH_MODE=none, no helmet, plaintext PostgreSQL');
  const start = await startApiServer('start', startModeEnv(fixture));
  try {
    await measureRoutes('start', start, async () => plans(ids, () => ({})), profile.load, results);
  } finally {
    await start.stop();
  }

  log('(b) end mode: HTTPS + client certificates, ES256 JWT, scopes, helmet, PostgreSQL verify-full');
  const end = await startApiServer('end', endModeEnv(fixture));
  try {
    await measureRoutes(
      'end',
      end,
      async () => {
        const read = await token('read:user read:transaction', end.url);
        const write = await token('modify:transaction', end.url);
        return plans(ids, (route) => ({
          authorization: `Bearer ${route === 'POST /transactions' ? write : read}`,
        }));
      },
      profile.load,
      results,
      clientTls,
    );
    log('token endpoint: client-credentials grant');
    const tokenPlan: RequestPlan = {
      method: 'POST',
      headers: {
        authorization: basicAuthorization(BENCH_CLIENT, fixture.clientSecrets[BENCH_CLIENT] ?? ''),
        'content-type': 'application/x-www-form-urlencoded',
      },
      next: () => ({ path: '/oauth/token', body: tokenRequestBody('read:user read:transaction') }),
    };
    results.tokenEndpoint = {
      ...(await measureHttp(end, tokenPlan, profile.tokenLoad, clientTls)),
      load: loadAverage(),
    };
  } finally {
    await end.stop();
  }

  log('(b-noauth) end mode without JWT: the same HTTPS, helmet and verify-full, AUTH_MODE=none');
  const endNoAuth = await startApiServer('end-noauth', {
    ...fixture.pgVerifyFull,
    AUTH_MODE: 'none',
    TLS_CERT_DIR: fixture.serverCertDir,
    TLS_CLIENT_AUTH: 'require',
    LOG_LEVEL,
  });
  try {
    await measureRoutes(
      'endNoAuth',
      endNoAuth,
      async () => plans(ids, () => ({})),
      profile.load,
      results,
      clientTls,
      ['GET /users/:id'],
    );
  } finally {
    await endNoAuth.stop();
  }

  log('(c) baseline: the seed workshop end state on Express 4 + jsonwebtoken HS256 + Sequelize/pg TLS');
  const baselineDir = await ensureBaselineInstalled();
  const baseline = await startServer(
    'baseline',
    ['server.js'],
    {
      ...fixture.pgVerifyFull,
      TLS_CERT_DIR: fixture.serverCertDir,
      TOKEN_SECRET: fixture.hs256Secret,
      PG_POOL_MAX: String(POOL_SIZE),
    },
    { https: true, cwd: baselineDir },
  );
  try {
    const hs256 = hs256Token(fixture.hs256Secret, ['modify:user', 'modify:transaction']);
    await measureRoutes(
      'baseline',
      baseline,
      async () => plans(ids, () => ({ authorization: `Bearer ${hs256}` })),
      profile.load,
      results,
    );
  } finally {
    await baseline.stop();
  }

  log(`(d) pgbench: the same statements, prepared, over TLS verify-full, ${profile.pgbenchClients} clients`);
  const scripts = pgbenchScripts(fixture.users);
  for (const route of ROUTES) {
    const measurement: Measurement = await measurePgbench(
      scripts[route],
      { ...fixture.pgVerifyFull, PGSSLROOTCERT: caFile },
      profile.pgbenchClients,
      profile.load,
    );
    results.http.pgbench[route] = { ...measurement, load: loadAverage() };
    log(`pgbench ${route}: ${measurement.requestsPerSecond.toFixed(0)} tx/s`);
  }
}

// tsc keeps apps/ under dist/: the reconciler imports the settings reader and CLI wrapper from apps/api.
const RECONCILER_ENTRY = 'apps/reconciler/dist/reconciler/src/main.js';

/** The image's NODE_OPTIONS (apps/reconciler/Dockerfile `ENV NODE_OPTIONS=...`), or none. */
async function shippedNodeOptions(): Promise<string | undefined> {
  const dockerfile = await readFile(join(REPO_ROOT, 'apps', 'reconciler', 'Dockerfile'), 'utf8');
  return /^ENV NODE_OPTIONS="?([^"\n]*)"?$/m.exec(dockerfile)?.[1];
}

async function benchmarkReconciler(fixture: Fixture, profile: Profile, results: BenchResults): Promise<void> {
  // What ships: the image runs the tsc output (`node dist/reconciler/src/main.js`), not tsx, with its NODE_OPTIONS.
  log('building apps/reconciler (npm run build -w apps/reconciler)');
  await run('npm', ['run', 'build', '-w', 'apps/reconciler'], { cwd: REPO_ROOT });
  const nodeOptions = await shippedNodeOptions();
  const reconcilerNodeOptions: Record<string, string> = nodeOptions ? { NODE_OPTIONS: nodeOptions } : {};
  results.reconcilerCommand = `${nodeOptions ? `NODE_OPTIONS=${nodeOptions} ` : ''}node ${RECONCILER_ENTRY}`;
  const sql = postgres({ ...pgConnection(fixture), max: 1, onnotice: () => undefined });
  const api = await startApiServer('reconciler-api', endModeEnv(fixture));
  try {
    // Largest first, then the same data cut down: flat memory means the peaks stay close.
    for (const size of profile.reconcilerSizes) {
      await sql`delete from transactions where id > ${size}`;
      await sql`vacuum analyze transactions`;
      const apiCpuBefore = api.cpuSeconds();
      const runResult = await timedNode([RECONCILER_ENTRY], {
        ...reconcilerNodeOptions,
        API_URL: api.url,
        TLS_CA_FILE: join(fixture.serverCertDir, 'ca.crt'),
        TLS_CERT_DIR: fixture.clientCertDir,
        OAUTH_CLIENT_ID: RECONCILER_CLIENT,
        OAUTH_CLIENT_SECRET_FILE: fixture.reconcilerSecretFile,
      });
      if (runResult.code !== 0) throw new Error(`reconciler failed: ${runResult.stderr.trim().slice(-500)}`);
      const report = JSON.parse(runResult.stdout) as {
        durationMs: number;
        counts: { transactions: number; pages: number };
        peakRssKiB: number;
      };
      results.reconciler.push({
        transactions: report.counts.transactions,
        pages: report.counts.pages,
        seconds: report.durationMs / 1000,
        transactionsPerSecond: report.counts.transactions / (report.durationMs / 1000),
        peakRssMiB: runResult.peakRssMiB,
        processSeconds: runResult.seconds,
        reconcilerCpuSeconds: runResult.cpuSeconds,
        apiCpuSeconds: api.cpuSeconds() - apiCpuBefore,
        load: loadAverage(),
      });
      log(`reconciler ${report.counts.transactions}: ${(report.durationMs / 1000).toFixed(1)} s`);
    }
  } finally {
    await api.stop();
    await sql.end({ timeout: 5 });
  }
}

function pgConnection(fixture: Fixture): postgres.Options<Record<string, never>> {
  return {
    host: fixture.pg.host,
    port: fixture.pg.port,
    database: fixture.pg.database,
    username: fixture.pg.user,
    password: fixture.pg.password,
  };
}

async function benchmarkOfflineTools(results: BenchResults): Promise<void> {
  const out = await mkdtemp(join(tmpdir(), 'bench-render-'));
  try {
    const commands: [string, string[], number][] = [
      ['render end', ['render', 'end', '--out', out], 0],
      ['diff start end', ['diff', 'start', 'end'], 0],
      ['check end', ['check', 'end'], 0],
    ];
    for (const [name, args, expected] of commands) {
      const result = await timedNode(['--import', 'tsx', 'infra/tools/cli.ts', ...args], {
        INIT_CWD: REPO_ROOT,
      });
      results.offline.push({
        command: name,
        seconds: result.seconds,
        peakRssMiB: result.peakRssMiB,
        ok: result.code === expected,
        note:
          result.code === expected ? '' : `exit ${result.code}: ${result.stderr.trim().split('\n').at(-1)}`,
        load: loadAverage(),
      });
      log(`offline ${name}: ${result.seconds.toFixed(1)} s, exit ${result.code}`);
    }
  } finally {
    await rm(out, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      profile: { type: 'boolean', default: false },
      out: { type: 'string' },
    },
    strict: true,
  });
  const profileName = values.quick ? 'quick' : 'full';
  const profile = PROFILES[profileName];
  const outFile =
    values.out ?? join(REPO_ROOT, 'bench', values.quick ? join('.work', 'results.quick.md') : 'results.md');
  const started = performance.now();
  const results: BenchResults = {
    profile: profileName,
    startedAt: new Date().toISOString(),
    machine: describeMachine(),
    loadAtStart: loadAverage(),
    loadAtEnd: 0,
    durationSeconds: 0,
    data: { users: profile.users, transactions: profile.transactions, seedSeconds: 0 },
    load: profile.load,
    poolSize: POOL_SIZE,
    pgbenchClients: profile.pgbenchClients,
    http: { start: {}, end: {}, endNoAuth: {}, baseline: {}, pgbench: {} },
    reconciler: [],
    reconcilerCommand: '',
    offline: [],
    profiles: [],
  };
  log(`${profileName} run: seeding ${profile.users} users and ${profile.transactions} transactions`);
  const fixture = await createFixture({ users: profile.users, transactions: profile.transactions });
  try {
    results.data.seedSeconds = fixture.seedSeconds;
    log(`seeded in ${fixture.seedSeconds.toFixed(1)} s`);
    await benchmarkApis(fixture, profile, results);
    // A full run always profiles: a missed target needs its explanation in the same report.
    if (values.profile || !values.quick) await profileReads(fixture, profile, results);
    log('JWT verification micro-benchmark');
    results.jwt = await measureJwtCost(fixture, profile.jwtIterations);
    await benchmarkReconciler(fixture, profile, results);
  } finally {
    await fixture.remove();
  }
  await benchmarkOfflineTools(results);
  results.loadAtEnd = loadAverage();
  results.durationSeconds = (performance.now() - started) / 1000;
  const previous = existsSync(outFile) ? await readFile(outFile, 'utf8') : '';
  const analysis = /<!-- analysis -->[\s\S]*$/.exec(previous)?.[0];
  await mkdir(dirname(outFile), { recursive: true });
  await writeFile(outFile, formatReport(results, analysis));
  // The raw figures too, for comparing runs.
  await mkdir(join(REPO_ROOT, 'bench', '.work'), { recursive: true });
  await writeFile(
    join(REPO_ROOT, 'bench', '.work', `results.${profileName}.json`),
    JSON.stringify(results, null, 2),
  );
  log(`wrote ${outFile} in ${results.durationSeconds.toFixed(0)} s`);
}

main().catch((error: unknown) => {
  console.error(`bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exitCode = 1;
});
