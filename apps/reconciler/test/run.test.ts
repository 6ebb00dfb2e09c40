import { describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS, type ReconcilerConfig } from '../src/config.js';
import type { HttpClient, HttpRequest, HttpResponse } from '../src/http.js';
import { runReconciliation } from '../src/run.js';
import { Secret } from '../src/secret.js';

const config: ReconcilerConfig = {
  apiUrl: 'https://api.test',
  tls: {},
  oauth: {
    tokenUrl: 'https://api.test/oauth/token',
    clientId: 'reconciler',
    clientSecret: new Secret('s3cret-s3cret-s3cret'),
    scope: 'read:user read:transaction',
  },
  pageSize: 1,
  topN: 5,
  sampleSize: 5,
  timeoutMs: 1000,
  retry: { maxAttempts: 1, baseDelayMs: 1, maxDelayMs: 1 },
  limits: DEFAULT_LIMITS,
};

/** An in-memory API: one row per page, tokens `t1`, `t2`, ... valid for `lifetimeSeconds`. */
function fakeApi(lifetimeSeconds: number, clock: { now: number }, stepMs: number) {
  const sent: HttpRequest[] = [];
  /** Token -> when it expires, and (token, time) of every API request. */
  const expiry = new Map<string, number>();
  const uses: { token: string; at: number }[] = [];
  let tokens = 0;
  const rows: Record<string, unknown[]> = {
    '/users': [{ id: 1, currency: 'USD', is_active: true }],
    '/transactions': [1, 2, 3, 4].map((id) => ({ id, amount: '2.50', currency: 'USD', user_id: 1 })),
  };
  const http: HttpClient = {
    get requestCount() {
      return sent.length;
    },
    close: async () => undefined,
    async send(request) {
      sent.push(request);
      clock.now += stepMs;
      const url = new URL(request.url);
      const reply = (status: number, body: unknown, headers: HttpResponse['headers'] = {}): HttpResponse => ({
        status,
        headers,
        body: JSON.stringify(body),
        attempts: 1,
      });
      if (url.pathname === '/oauth/token') {
        tokens += 1;
        expiry.set(`Bearer t${tokens}`, clock.now + lifetimeSeconds * 1000);
        return reply(200, { access_token: `t${tokens}`, token_type: 'Bearer', expires_in: lifetimeSeconds });
      }
      uses.push({ token: request.headers?.authorization ?? '', at: clock.now });
      const list = rows[url.pathname] ?? [];
      const after = Number(url.searchParams.get('after') ?? 0);
      const index = list.findIndex((row) => (row as { id: number }).id > after);
      const page = index < 0 ? [] : [list[index]];
      const more = index >= 0 && index < list.length - 1;
      return reply(
        200,
        page,
        more ? { link: `<${url.pathname}?after=${(page[0] as { id: number }).id}>; rel="next"` } : {},
      );
    },
  };
  return { http, sent, expiry, uses };
}

describe('runReconciliation', () => {
  it('uses one fresh token for a short run', async () => {
    const clock = { now: 1_000_000 };
    const { http, sent } = fakeApi(900, clock, 1000);
    const report = await runReconciliation(config, { http, now: () => clock.now });
    expect(sent.filter((r) => r.url.endsWith('/oauth/token'))).toHaveLength(1);
    expect(sent.slice(1).every((r) => r.headers?.authorization === 'Bearer t1')).toBe(true);
    expect(report.totalsByCurrency).toEqual({ USD: { count: 4, total: '10.00' } });
    expect(report.counts).toMatchObject({ users: 1, transactions: 4, pages: 5, requests: 6 });
  });

  it('fetches a new token before the old one expires in a long run', async () => {
    const clock = { now: 1_000_000 };
    // 100 s tokens, 30 s per request: renewed once half the lifetime is left, never used after expiry.
    const { http, sent, expiry, uses } = fakeApi(100, clock, 30_000);
    const report = await runReconciliation(config, { http, now: () => clock.now });
    const tokenRequests = sent.filter((r) => r.url.endsWith('/oauth/token')).length;
    expect(tokenRequests).toBeGreaterThan(1);
    const used = sent.filter((r) => !r.url.endsWith('/oauth/token')).map((r) => r.headers?.authorization);
    expect(new Set(used).size).toBe(tokenRequests);
    expect(uses.every(({ token, at }) => at < (expiry.get(token) ?? 0))).toBe(true);
    expect(report.counts.transactions).toBe(4);
  });

  it('reports each credential to onSecret so failures can be scrubbed', async () => {
    const clock = { now: 0 };
    const { http } = fakeApi(900, clock, 1);
    const secrets: string[] = [];
    await runReconciliation(config, { http, now: () => clock.now, onSecret: (s) => secrets.push(s) });
    expect(secrets).toEqual(['s3cret-s3cret-s3cret', 't1']);
  });
});
