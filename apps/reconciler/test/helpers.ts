// Shared by the reconciler's tests: run the real entry point as a child process, and a tiny fake API.
import { spawn } from 'node:child_process';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { RunReport } from '../src/run.js';

export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const entry = fileURLToPath(new URL('../src/main.ts', import.meta.url));

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** The parsed stdout line on success. */
  report?: RunReport;
  /** The parsed stderr line on failure. */
  failure?: { ok: false; kind: string; error: string; problems?: string[] };
  /** True when the test had to kill the run because it outlived `killAfterMs`. */
  killed: boolean;
  elapsedMs: number;
}

export interface RunOptions {
  nodeArgs?: string[];
  /** A run still alive after this long is killed (and reported as `killed`), so a hang fails the test instead of stalling it. */
  killAfterMs?: number;
}

/** Runs `node --import tsx apps/reconciler/src/main.ts` with only `env` (plus PATH) in its environment. */
export function runReconciler(env: Record<string, string>, options: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const child = spawn(process.execPath, [...(options.nodeArgs ?? []), '--import', 'tsx', entry], {
      cwd: repoRoot,
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let killed = false;
    const killer =
      options.killAfterMs === undefined
        ? undefined
        : setTimeout(() => {
            killed = true;
            child.kill('SIGKILL');
          }, options.killAfterMs);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(killer);
      const result: RunResult = { code, stdout, stderr, killed, elapsedMs: Date.now() - started };
      if (code === 0 && stdout.trim() !== '') result.report = JSON.parse(stdout) as RunReport;
      const lastLine = stderr.trim().split('\n').at(-1) ?? '';
      if (code !== 0 && lastLine.startsWith('{'))
        result.failure = JSON.parse(lastLine) as RunResult['failure'];
      resolve(result);
    });
  });
}

export interface FakeApi {
  url: string;
  requests: { method: string; url: string; authorization?: string }[];
  close(): Promise<void>;
}

export type FakeHandler = (req: IncomingMessage, res: ServerResponse, index: number) => void;

/** A plain HTTP server on 127.0.0.1 that records every request it gets. */
export async function startFakeApi(handler: FakeHandler): Promise<FakeApi> {
  const requests: FakeApi['requests'] = [];
  const server: Server = createServer((req, res) => {
    requests.push({ method: req.method ?? '', url: req.url ?? '', authorization: req.headers.authorization });
    handler(req, res, requests.length - 1);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

export interface FakeUser {
  id: number;
  currency: string;
  is_active: boolean;
}
export interface FakeTransaction {
  id: number;
  amount: string;
  currency: string;
  user_id: number;
}

/** Serves `users` and `transactions` with the API's keyset pagination (`limit`, `after`, `Link`). */
export function paginatedHandler(
  data: { users: FakeUser[]; transactions: FakeTransaction[] },
  pageSize = 2,
): FakeHandler {
  return (req, res) => {
    const url = new URL(req.url ?? '/', 'http://fake');
    const rows =
      url.pathname === '/users'
        ? data.users
        : url.pathname === '/transactions'
          ? data.transactions
          : undefined;
    if (rows === undefined) return sendJson(res, 404, { error: 'not found' });
    const limit = Math.min(Number(url.searchParams.get('limit') ?? pageSize), pageSize);
    const after = Number(url.searchParams.get('after') ?? 0);
    const page = rows.filter((row) => row.id > after).slice(0, limit);
    const last = page.at(-1);
    const more = last !== undefined && rows.some((row) => row.id > last.id);
    const next = new URL(url);
    if (last) next.searchParams.set('after', String(last.id));
    sendJson(res, 200, page, more ? { link: `<${next.pathname}${next.search}>; rel="next"` } : {});
  };
}
