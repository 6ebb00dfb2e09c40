// bench/results.md: the machine, every figure, the ratios and the targets with pass/miss.
import type { JwtCost } from './jwt-cost.js';
import type { LoadSettings, Measurement } from './load.js';
import type { Machine } from './machine.js';
import type { ProfileShare } from './profile.js';

export const ROUTES = ['GET /users/:id', 'GET /transactions?limit=100', 'POST /transactions'] as const;
export type Route = (typeof ROUTES)[number];
export type Stack = 'start' | 'end' | 'endNoAuth' | 'baseline' | 'pgbench';

/** A measurement and the machine's 1-minute load average right after it. */
export type Row = Measurement & { load: number };

export interface ReconcilerRow {
  transactions: number;
  pages: number;
  seconds: number;
  transactionsPerSecond: number;
  peakRssMiB: number;
  processSeconds: number;
  /** CPU of the reconciler process and of the API server process during the run. */
  reconcilerCpuSeconds: number;
  apiCpuSeconds: number;
  load: number;
}

export interface OfflineRow {
  command: string;
  seconds: number;
  peakRssMiB: number;
  ok: boolean;
  note: string;
  load: number;
}

export interface BenchResults {
  profile: 'quick' | 'full';
  startedAt: string;
  machine: Machine;
  loadAtStart: number;
  loadAtEnd: number;
  durationSeconds: number;
  data: { users: number; transactions: number; seedSeconds: number };
  load: LoadSettings;
  poolSize: number;
  pgbenchClients: number;
  http: Record<Stack, Partial<Record<Route, Row>>>;
  tokenEndpoint?: Row;
  jwt?: JwtCost;
  reconciler: ReconcilerRow[];
  /** How the reconciler was started (the image's form: compiled JS and its NODE_OPTIONS). */
  reconcilerCommand: string;
  offline: OfflineRow[];
  /** With --profile: where the server's busy CPU time went, per stack and read route. */
  profiles: { stack: Stack; route: Route; file: string; top: ProfileShare[] }[];
}

export const TARGETS = {
  endOverStartReads: 0.7,
  endOverBaseline: 2,
  endOverPgbench: 1 / 3,
  reconcilerPerSecond: 100_000,
  reconcilerRssMiB: 150,
} as const;

const STACK_LABELS: Record<Stack, string> = {
  start: '(a) start: HTTP, no auth, plaintext PG',
  end: '(b) end: HTTPS+mTLS, ES256 JWT, scopes, helmet, PG verify-full',
  endNoAuth: '(b′) end without JWT (AUTH_MODE=none), same TLS',
  baseline: '(c) seed baseline: Express 4, jsonwebtoken HS256, Sequelize, PG TLS',
  pgbench: '(d) pgbench, prepared, PG verify-full',
};

const int = (value: number): string => Math.round(value).toLocaleString('en-US');
const fixed = (value: number | undefined, digits = 1): string =>
  value === undefined || !Number.isFinite(value) ? '–' : value.toFixed(digits);
const verdict = (ok: boolean): string => (ok ? '**pass**' : '**MISS**');

function ratio(results: BenchResults, route: Route, over: Stack): number | undefined {
  const end = results.http.end[route]?.requestsPerSecond;
  const other = results.http[over][route]?.requestsPerSecond;
  return end === undefined || other === undefined || other === 0 ? undefined : end / other;
}

function target(value: number | undefined, minimum: number): string {
  if (value === undefined) return '–';
  return `${fixed(value, 2)}× (≥ ${fixed(minimum, 2)}×: ${verdict(value >= minimum)})`;
}

function httpTables(results: BenchResults): string[] {
  const lines: string[] = [];
  for (const route of ROUTES) {
    lines.push(`### ${route}`, '');
    lines.push('| stack | req/s | p50 ms | p99 ms | server CPU µs/req | failures | load |');
    lines.push('|---|---:|---:|---:|---:|---:|---:|');
    for (const stack of Object.keys(STACK_LABELS) as Stack[]) {
      const row = results.http[stack][route];
      if (!row) continue;
      lines.push(
        `| ${STACK_LABELS[stack]} | ${int(row.requestsPerSecond)} | ${fixed(row.p50Ms, 2)} | ${fixed(row.p99Ms, 2)} | ${row.cpuMicrosPerRequest === undefined ? '–' : int(row.cpuMicrosPerRequest)} | ${row.failures} | ${fixed(row.load, 1)} |`,
      );
    }
    lines.push('');
  }
  return lines;
}

function ratioTable(results: BenchResults): string[] {
  const lines = [
    '| route | (b)/(a) end/start | (b)/(c) end/baseline | (b)/(d) end/pgbench |',
    '|---|---|---|---|',
  ];
  for (const route of ROUTES) {
    const read = route.startsWith('GET');
    const startRatio = ratio(results, route, 'start');
    lines.push(
      `| ${route} | ${read ? target(startRatio, TARGETS.endOverStartReads) : `${fixed(startRatio, 2)}× (no target for writes)`} | ${target(ratio(results, route, 'baseline'), TARGETS.endOverBaseline)} | ${target(ratio(results, route, 'pgbench'), TARGETS.endOverPgbench)} |`,
    );
  }
  return lines;
}

function authCost(results: BenchResults): string[] {
  const lines: string[] = [];
  const route: Route = 'GET /users/:id';
  const withAuth = results.http.end[route];
  const without = results.http.endNoAuth[route];
  if (withAuth && without) {
    const cpu =
      withAuth.cpuMicrosPerRequest !== undefined && without.cpuMicrosPerRequest !== undefined
        ? withAuth.cpuMicrosPerRequest - without.cpuMicrosPerRequest
        : undefined;
    lines.push(
      `- End mode with and without JWT on \`${route}\`: ${int(withAuth.requestsPerSecond)} vs ${int(without.requestsPerSecond)} req/s (${fixed(withAuth.requestsPerSecond / without.requestsPerSecond, 2)}×); server CPU ${cpu === undefined ? '–' : int(cpu)} µs more per request with JWT (verification, scope check, audit line).`,
    );
  }
  if (results.jwt) {
    const j = results.jwt;
    lines.push(
      `- In-process, the API's own auth plugin (@fastify/jwt, ES256, ${int(j.iterations)} iterations): \`jwt.verify\` ${j.firstVerifyMicros === undefined ? '' : `${fixed(j.firstVerifyMicros)} µs for a token not seen before (ES256 check), `}${fixed(j.verifyMicros)} µs for a repeated token (verified-token cache), \`jwt.decode\` alone ${fixed(j.decodeMicros)} µs; the whole onRequest hook (verify, claims, scope, audit line at info) adds ${fixed(j.hookMicros)} µs per request over a public route.`,
    );
  }
  if (results.tokenEndpoint) {
    const t = results.tokenEndpoint;
    lines.push(
      `- Token endpoint \`POST /oauth/token\` (client credentials, HTTP Basic, ES256 signing, over HTTPS+mTLS, ${results.load.connections} connections): **${int(t.requestsPerSecond)} tokens/s**, p50 ${fixed(t.p50Ms, 2)} ms, p99 ${fixed(t.p99Ms, 2)} ms, ${t.cpuMicrosPerRequest === undefined ? '–' : int(t.cpuMicrosPerRequest)} µs server CPU per token, ${t.failures} failures.`,
    );
  }
  return lines;
}

function reconcilerTable(results: BenchResults): string[] {
  const lines = [
    '| transactions | pages | wall s | transactions/s | peak RSS MiB | process s | reconciler CPU s | API CPU s | load |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const row of results.reconciler) {
    lines.push(
      `| ${int(row.transactions)} | ${int(row.pages)} | ${fixed(row.seconds, 2)} | ${int(row.transactionsPerSecond)} | ${fixed(row.peakRssMiB)} | ${fixed(row.processSeconds, 2)} | ${fixed(row.reconcilerCpuSeconds, 2)} | ${fixed(row.apiCpuSeconds, 2)} | ${fixed(row.load, 1)} |`,
    );
  }
  const largest = [...results.reconciler].sort((a, b) => b.transactions - a.transactions)[0];
  if (largest) {
    const smallest = [...results.reconciler].sort((a, b) => a.transactions - b.transactions)[0] ?? largest;
    // Flat: the largest run's peak stays within 15% of the smallest run's.
    const growth = largest.peakRssMiB / smallest.peakRssMiB;
    const flatness =
      growth <= 1.15
        ? 'flat: it does not follow the size'
        : `NOT flat: ${fixed((growth - 1) * 100, 0)}% more at ${fixed(largest.transactions / smallest.transactions, 0)}× the transactions`;
    lines.push(
      '',
      `Targets at ${int(largest.transactions)} transactions: throughput ${int(largest.transactionsPerSecond)}/s (≥ ${int(TARGETS.reconcilerPerSecond)}/s: ${verdict(largest.transactionsPerSecond >= TARGETS.reconcilerPerSecond)}), peak RSS ${fixed(largest.peakRssMiB)} MiB (< ${TARGETS.reconcilerRssMiB} MiB: ${verdict(largest.peakRssMiB < TARGETS.reconcilerRssMiB)}); peak RSS ${fixed(smallest.peakRssMiB)} MiB at ${int(smallest.transactions)} (memory ${flatness}).`,
    );
  }
  return lines;
}

function offlineTable(results: BenchResults): string[] {
  const lines = ['| command | seconds | peak RSS MiB | ok | load |', '|---|---:|---:|---|---:|'];
  for (const row of results.offline) {
    lines.push(
      `| \`npm run ${row.command.replace(' ', ' -- ')}\` | ${fixed(row.seconds)} | ${fixed(row.peakRssMiB)} | ${row.ok ? 'yes' : `no (${row.note})`} | ${fixed(row.load, 1)} |`,
    );
  }
  return lines;
}

function profileTables(results: BenchResults): string[] {
  if (results.profiles.length === 0) return [];
  const lines = [
    '## CPU profiles (`--profile`: `node --cpu-prof` of the server under load, share of busy time after start-up)',
    '',
  ];
  for (const profile of results.profiles) {
    const title = `${STACK_LABELS[profile.stack]}, \`${profile.route}\` — \`${profile.file}\``;
    lines.push(title, '', '| where | % |', '|---|---:|');
    for (const share of profile.top) lines.push(`| ${share.where} | ${fixed(share.percent)} |`);
    lines.push('');
  }
  return lines;
}

const DEFAULT_ANALYSIS = '<!-- analysis -->\n## Analysis\n\n(No analysis written for this run yet.)\n';

/** The report; `analysis` (from `<!-- analysis -->` to the end) is kept from the previous file. */
export function formatReport(results: BenchResults, analysis = DEFAULT_ANALYSIS): string {
  const m = results.machine;
  const command = results.profile === 'quick' ? 'npm run bench -- --quick' : 'npm run bench';
  return [
    '# Benchmark results',
    '',
    `Generated by \`${command}\` (bench/run.ts) on ${results.startedAt}, ${results.profile} profile, in ${int(results.durationSeconds)} s.`,
    `The machine is shared with other busy sessions: 1-minute load average ${fixed(results.loadAtStart, 1)} at the start and ${fixed(results.loadAtEnd, 1)} at the end, on ${m.cores} cores; every row shows the load right after it. Read absolute figures as lower bounds and compare within a table; server CPU µs per request is less sensitive to the noise than req/s.`,
    '',
    '## Machine',
    '',
    '| | |',
    '|---|---|',
    `| CPU | ${m.cpuModel} |`,
    `| cores | ${m.cores} |`,
    `| memory | ${m.memoryGiB} GiB |`,
    `| kernel | ${m.kernel} |`,
    `| Node.js | ${m.node} |`,
    `| PostgreSQL | ${m.postgres} |`,
    `| pgbench | ${m.pgbench} |`,
    `| autocannon | ${m.autocannon} |`,
    '',
    '## Method',
    '',
    `- One throw-away PostgreSQL (test-support startPostgres, TLS on, fsync off) seeded once by the API's \`seed()\`: ${int(results.data.users)} users, ${int(results.data.transactions)} transactions (${fixed(results.data.seedSeconds)} s including \`vacuum analyze\`).`,
    `- Each server runs alone in its own child process (\`node --import tsx apps/api/src/server.ts\`, or \`node server.js\` for the baseline), logging at info to /dev/null; autocannon runs in the parent: ${results.load.connections} connections, keep-alive, ${results.load.warmupSeconds} s warm-up discarded, then ${results.load.seconds} s measured. Database pool: ${results.poolSize} connections in every stack.`,
    '- `GET /users/:id` cycles through 10,000 user ids drawn once with a fixed seed; `POST /transactions` sends a JSON body with a user id from the same list; every response must be 2xx (failures column).',
    "- End mode gets fresh ES256 access tokens from its own `POST /oauth/token` (client credentials) before each route, presents a client certificate (TLS_CLIENT_AUTH=require) and connects to PostgreSQL by name with verify-full; the baseline gets an HS256 token shaped like the seed workshop's (username + permissions) and has no client certificates, as in the seed.",
    `- pgbench runs the statements the API sends (\`select <all columns> from users where id = $1\`, \`... from transactions where id > 0 order by id limit 101\`, \`insert ... returning *\`) as prepared statements over TLS verify-full, ${results.pgbenchClients} clients, 2 threads; p50/p99 from its per-transaction log.`,
    '- Ratios are of req/s; (b)/(d) ≥ 0.33 means end mode is within 3× of the pgbench ceiling.',
    '',
    '## API throughput and latency',
    '',
    ...httpTables(results),
    '## Ratios and targets',
    '',
    ...ratioTable(results),
    '',
    '## Authentication cost',
    '',
    ...authCost(results),
    '',
    '## Reconciler (end mode API, HTTPS + client certificate + client-credentials token, 1000 per page)',
    '',
    ...(results.reconcilerCommand
      ? [
          `Run as the image runs it: \`${results.reconcilerCommand}\` (built by \`npm run build -w apps/reconciler\`).`,
          '',
        ]
      : []),
    ...reconcilerTable(results),
    '',
    '## Offline tools (end stack)',
    '',
    ...offlineTable(results),
    '',
    ...profileTables(results),
    analysis.trimEnd(),
    '',
  ].join('\n');
}
