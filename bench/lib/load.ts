// Load generators: autocannon against an HTTP(S) server, pgbench against PostgreSQL directly.
import autocannon from 'autocannon';
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { postgresBinDir } from '../../test-support/postgres.js';
import type { ServerProcess } from './servers.js';

const run = promisify(execFile);

export interface LoadSettings {
  connections: number;
  warmupSeconds: number;
  seconds: number;
}

export interface Measurement {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** Requests that did not answer 2xx, plus connection errors; a clean run has 0. */
  failures: number;
  requests: number;
  /** Server process CPU per answered request, microseconds (undefined for pgbench). */
  cpuMicrosPerRequest?: number;
}

export interface RequestPlan {
  method: 'GET' | 'POST';
  /** Called for every request: the path (and body) to send next. */
  next(): { path: string; body?: string };
  headers: Record<string, string>;
}

export interface ClientTls {
  cert: string;
  key: string;
}

function cannon(
  url: string,
  plan: RequestPlan,
  connections: number,
  seconds: number,
  tls: ClientTls | undefined,
): Promise<autocannon.Result> {
  return autocannon({
    url,
    connections,
    duration: seconds,
    timeout: 30,
    ...(tls ? { tlsOptions: tls } : {}),
    requests: [
      {
        method: plan.method,
        headers: plan.headers,
        setupRequest: (request) => ({ ...request, ...plan.next() }),
      },
    ],
  });
}

/** Warm-up (discarded), then a measured run; CPU of the server process is sampled around the measured run. */
export async function measureHttp(
  server: ServerProcess,
  plan: RequestPlan,
  settings: LoadSettings,
  tls?: ClientTls,
): Promise<Measurement> {
  if (settings.warmupSeconds > 0)
    await cannon(server.url, plan, settings.connections, settings.warmupSeconds, tls);
  const cpuBefore = server.cpuSeconds();
  const result = await cannon(server.url, plan, settings.connections, settings.seconds, tls);
  const cpu = server.cpuSeconds() - cpuBefore;
  const ok = result['2xx'];
  return {
    requestsPerSecond: ok / result.duration,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    failures: result.non2xx + result.errors,
    requests: ok,
    cpuMicrosPerRequest: ok > 0 ? (cpu * 1e6) / ok : undefined,
  };
}

export interface PgbenchScript {
  /** pgbench script text (\set lines and one SQL statement). */
  text: string;
  /** -D variables, e.g. the number of users for `random(1, :users)`. */
  variables: Record<string, number>;
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

/** pgbench with prepared statements over the libpq connection described by `env`. */
export async function measurePgbench(
  script: PgbenchScript,
  env: Record<string, string>,
  clients: number,
  settings: LoadSettings,
): Promise<Measurement> {
  const dir = await mkdtemp(join(tmpdir(), 'pgbench-'));
  try {
    const file = join(dir, 'script.sql');
    await writeFile(file, script.text);
    const variables = Object.entries(script.variables).flatMap(([name, value]) => ['-D', `${name}=${value}`]);
    const pgbench = join(postgresBinDir(), 'pgbench');
    const base = ['-n', '-M', 'prepared', '-c', String(clients), '-j', '2', '-f', file, ...variables];
    const options = { env: { PATH: process.env.PATH ?? '', ...env }, cwd: dir, maxBuffer: 1 << 24 };
    if (settings.warmupSeconds > 0)
      await run(pgbench, [...base, '-T', String(settings.warmupSeconds)], options);
    const { stdout } = await run(
      pgbench,
      [...base, '-T', String(settings.seconds), '-l', '--log-prefix', join(dir, 'latency')],
      options,
    );
    const processed = Number(/number of transactions actually processed: (\d+)/.exec(stdout)?.[1]);
    const failed = Number(/number of failed transactions: (\d+)/.exec(stdout)?.[1] ?? 0);
    const tps = Number(/tps = ([\d.]+) \(without initial connection time\)/.exec(stdout)?.[1]);
    if (!Number.isFinite(tps)) throw new Error(`pgbench: no tps in its output: ${stdout.slice(-500)}`);
    // Per-transaction log lines: client, transaction number, latency in microseconds, ...
    const latencies: number[] = [];
    for (const name of (await readdir(dir)).filter((entry) => entry.startsWith('latency'))) {
      for (const line of (await readFile(join(dir, name), 'utf8')).split('\n')) {
        const micros = Number(line.split(' ')[2]);
        if (line !== '' && Number.isFinite(micros)) latencies.push(micros / 1000);
      }
    }
    const sorted = Float64Array.from(latencies).sort();
    return {
      requestsPerSecond: tps,
      p50Ms: percentile(sorted, 50),
      p99Ms: percentile(sorted, 99),
      failures: failed,
      requests: processed,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
