// A hostile or broken API cannot keep a run going: pages, users held, run time and each response are bounded.
import type { ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { runReconciler, sendJson, startFakeApi, type FakeApi } from './helpers.js';

let api: FakeApi | undefined;
afterEach(async () => {
  await api?.close();
  api = undefined;
});

const users = [{ id: 1, currency: 'USD', is_active: true }];
const oneAttempt = { RECONCILER_MAX_ATTEMPTS: '1' };

/** Serves endless pages: every page has `size` fresh ids and a next link to the page after it. */
function endless(res: ServerResponse, url: URL, row: (id: number) => object, size = 10): void {
  const after = Number(url.searchParams.get('after') ?? 0);
  const rows = Array.from({ length: size }, (_, i) => row(after + i + 1));
  const next = new URL(url);
  next.searchParams.set('after', String(after + size));
  sendJson(res, 200, rows, { link: `<${next.pathname}${next.search}>; rel="next"` });
}

const transaction = (id: number) => ({ id, amount: '1.00', currency: 'USD', user_id: 1 });

describe('run limits against a hostile API', () => {
  it('stops endless next links with new users at RECONCILER_MAX_USERS', async () => {
    api = await startFakeApi((req, res) =>
      endless(res, new URL(req.url ?? '/', 'http://fake'), (id) => ({
        id,
        currency: 'USD',
        is_active: true,
      })),
    );
    const run = await runReconciler(
      { API_URL: api.url, RECONCILER_MAX_USERS: '50', ...oneAttempt },
      { killAfterMs: 20_000 },
    );
    expect(run.killed).toBe(false);
    expect(run.code).toBe(1);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.failure).toMatchObject({ ok: false, kind: 'limit' });
    expect(run.failure?.error).toMatch(/more than RECONCILER_MAX_USERS=50 users/);
    // Ten users a page: the sixth page holds the 51st user, and nothing is asked after it.
    expect(api.requests).toHaveLength(6);
  });

  it('stops endless pages at RECONCILER_MAX_PAGES', async () => {
    api = await startFakeApi((req, res) => {
      const url = new URL(req.url ?? '/', 'http://fake');
      if (url.pathname === '/users') return sendJson(res, 200, users);
      endless(res, url, transaction);
    });
    const run = await runReconciler(
      { API_URL: api.url, RECONCILER_MAX_PAGES: '20', ...oneAttempt },
      { killAfterMs: 20_000 },
    );
    expect(run.killed).toBe(false);
    expect(run.code).toBe(1);
    expect(run.failure).toMatchObject({ kind: 'limit' });
    expect(run.failure?.error).toMatch(/RECONCILER_MAX_PAGES=20 pages .*GET \/transactions/);
    expect(api.requests).toHaveLength(20);
  });

  it('times out a body that trickles one byte per second (RECONCILER_TIMEOUT_MS covers the whole response)', async () => {
    const timers: NodeJS.Timeout[] = [];
    api = await startFakeApi((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      const body = JSON.stringify(users).padEnd(10_000, ' ');
      let sent = 0;
      const drip = setInterval(() => {
        if (sent >= body.length || res.destroyed) return clearInterval(drip);
        res.write(body[sent]);
        sent += 1;
      }, 1000);
      timers.push(drip);
    });
    try {
      const run = await runReconciler(
        { API_URL: api.url, RECONCILER_TIMEOUT_MS: '2500', ...oneAttempt },
        { killAfterMs: 20_000 },
      );
      expect(run.killed).toBe(false);
      expect(run.code).toBe(1);
      expect(run.elapsedMs).toBeLessThan(10_000);
      expect(run.failure).toMatchObject({ kind: 'timeout' });
      expect(run.failure?.error).toMatch(
        /^GET http:\/\/127\.0\.0\.1:\d+\/users: no complete response within RECONCILER_TIMEOUT_MS=2500 ms$/,
      );
    } finally {
      for (const timer of timers) clearInterval(timer);
    }
  });

  it('ends a run that outlives RECONCILER_MAX_RUN_MS, even while every page arrives in time', async () => {
    api = await startFakeApi((req, res) => {
      const url = new URL(req.url ?? '/', 'http://fake');
      if (url.pathname === '/users') return sendJson(res, 200, users);
      setTimeout(() => endless(res, url, transaction), 200);
    });
    const run = await runReconciler(
      { API_URL: api.url, RECONCILER_MAX_RUN_MS: '3000', ...oneAttempt },
      { killAfterMs: 20_000 },
    );
    expect(run.killed).toBe(false);
    expect(run.code).toBe(1);
    expect(run.elapsedMs).toBeLessThan(10_000);
    expect(run.failure).toMatchObject({ kind: 'limit' });
    expect(run.failure?.error).toMatch(/run exceeded RECONCILER_MAX_RUN_MS=3000 ms/);
  });

  it('stops waiting between retries when the run time is up', async () => {
    api = await startFakeApi((_req, res) => sendJson(res, 503, {}));
    const run = await runReconciler(
      {
        API_URL: api.url,
        RECONCILER_MAX_RUN_MS: '1500',
        RECONCILER_MAX_ATTEMPTS: '10',
        RECONCILER_RETRY_BASE_MS: '60000',
      },
      { killAfterMs: 20_000 },
    );
    expect(run.killed).toBe(false);
    expect(run.elapsedMs).toBeLessThan(8_000);
    expect(run.failure?.error).toMatch(/run exceeded RECONCILER_MAX_RUN_MS=1500 ms/);
  });
});
