import { afterEach, describe, expect, it } from 'vitest';
import { paginatedHandler, runReconciler, sendJson, startFakeApi, type FakeApi } from './helpers.js';

const users = [
  { id: 1, currency: 'USD', is_active: true },
  { id: 2, currency: 'GBP', is_active: false },
  { id: 3, currency: 'EUR', is_active: true },
];
const transactions = [
  { id: 10, amount: '10.10', currency: 'USD', user_id: 1 },
  { id: 11, amount: '0.90', currency: 'USD', user_id: 1 },
  { id: 12, amount: '5.00', currency: 'GBP', user_id: 2 },
  { id: 13, amount: '7.25', currency: 'USD', user_id: 3 },
  { id: 14, amount: '1.00', currency: 'EUR', user_id: 42 },
];
const fastRetries = { RECONCILER_RETRY_BASE_MS: '20', RECONCILER_MAX_ATTEMPTS: '4' };

let api: FakeApi | undefined;
afterEach(async () => {
  await api?.close();
  api = undefined;
});

describe('reconciler against a fake API over plain HTTP', () => {
  it('pages through users and transactions and reports totals and anomalies', async () => {
    api = await startFakeApi(paginatedHandler({ users, transactions }));
    const { code, report, stderr } = await runReconciler({ API_URL: api.url });
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(report).toMatchObject({
      ok: true,
      counts: { users: 3, inactiveUsers: 1, transactions: 5, pages: 5 },
      totalsByCurrency: {
        EUR: { count: 1, total: '1.00' },
        GBP: { count: 1, total: '5.00' },
        USD: { count: 3, total: '18.25' },
      },
      perUser: {
        count: 3,
        top: {
          GBP: [{ userId: 2, count: 1, total: '5.00' }],
          USD: [
            { userId: 1, count: 2, total: '11.00' },
            { userId: 3, count: 1, total: '7.25' },
          ],
        },
      },
      anomalies: {
        unknownUser: { count: 1, sample: [{ transactionId: 14, userId: 42 }] },
        inactiveUser: { count: 1, sample: [{ transactionId: 12, userId: 2 }] },
        currencyMismatch: { count: 1, sample: [{ transactionId: 13, userId: 3, userCurrency: 'EUR' }] },
      },
    });
    expect(report?.runId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(Number.isNaN(Date.parse(report?.startedAt ?? ''))).toBe(false);
    // Users first, only the needed fields, anonymous in the start stack, the Link header followed.
    expect(api.requests.map((r) => r.url)).toEqual([
      '/users?limit=1000&fields=id%2Ccurrency%2Cis_active',
      '/users?limit=1000&fields=id%2Ccurrency%2Cis_active&after=2',
      '/transactions?limit=1000&fields=id%2Camount%2Ccurrency%2Cuser_id',
      '/transactions?limit=1000&fields=id%2Camount%2Ccurrency%2Cuser_id&after=11',
      '/transactions?limit=1000&fields=id%2Camount%2Ccurrency%2Cuser_id&after=13',
    ]);
    expect(api.requests.every((r) => r.authorization === undefined)).toBe(true);
  });

  it.each([401, 403])(
    'stops at once on %i: one request, non-zero exit, one readable line',
    async (status) => {
      api = await startFakeApi((_req, res) => sendJson(res, status, { error: 'no' }));
      const { code, stderr, failure } = await runReconciler({ API_URL: api.url, ...fastRetries });
      expect(code).toBe(1);
      expect(api.requests).toHaveLength(1);
      expect(stderr.trim().split('\n')).toHaveLength(1);
      expect(failure).toMatchObject({ ok: false, kind: 'auth' });
      expect(failure?.error).toContain(
        `GET /users?limit=1000&fields=id%2Ccurrency%2Cis_active answered ${status}`,
      );
      expect(stderr).not.toMatch(/\n\s+at /);
    },
  );

  it('retries a transient 503 and a reset connection, then succeeds', async () => {
    const inner = paginatedHandler({ users, transactions });
    api = await startFakeApi((req, res, index) => {
      if (index === 0 || index === 1) return sendJson(res, 503, { error: 'busy' });
      if (index === 4) return req.socket.destroy();
      if (index === 5) return sendJson(res, 504, {});
      inner(req, res, index);
    });
    const { code, report, stderr } = await runReconciler({ API_URL: api.url, ...fastRetries });
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(report?.counts).toMatchObject({ transactions: 5, pages: 5, requests: 9 });
    expect(report?.totalsByCurrency.USD).toEqual({ count: 3, total: '18.25' });
    expect(api.requests).toHaveLength(9);
  });

  it('gives up after the configured attempts when the API stays unavailable', async () => {
    api = await startFakeApi((_req, res) => sendJson(res, 502, {}));
    const { code, failure } = await runReconciler({ API_URL: api.url, ...fastRetries });
    expect(code).toBe(1);
    expect(api.requests).toHaveLength(4);
    expect(failure?.error).toMatch(/answered 502 after 4 attempts/);
  });

  it('reports an unreachable API on one line', async () => {
    api = await startFakeApi(() => undefined);
    const closedUrl = api.url;
    await api.close();
    api = undefined;
    const { code, failure, stderr } = await runReconciler({ API_URL: closedUrl, ...fastRetries });
    expect(code).toBe(1);
    expect(failure).toMatchObject({ kind: 'network' });
    expect(failure?.error).toMatch(/ECONNREFUSED.*after 4 attempts/);
    expect(stderr.trim().split('\n')).toHaveLength(1);
  });

  it.each<[string, unknown]>([
    ['a body that is not JSON', 'not json'],
    ['an object instead of an array', { items: [] }],
    ['an item that is not an object', [1]],
    ['an item without is_active', [{ id: 1, currency: 'USD' }]],
    ['a string id', [{ id: '1', currency: 'USD', is_active: true }]],
    [
      'ids out of order',
      [
        { id: 2, currency: 'USD', is_active: true },
        { id: 1, currency: 'USD', is_active: true },
      ],
    ],
  ])('fails with "malformed page" on %s', async (_name, body) => {
    api = await startFakeApi((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(typeof body === 'string' ? body : JSON.stringify(body));
    });
    const { code, failure } = await runReconciler({ API_URL: api.url, ...fastRetries });
    expect(code).toBe(1);
    expect(failure?.kind).toBe('malformed-page');
    expect(failure?.error).toMatch(/^malformed page from GET \/users/);
  });

  it('fails with "malformed page" on an amount that is not a 2-decimal string', async () => {
    api = await startFakeApi(
      paginatedHandler({ users, transactions: [{ id: 1, amount: '1.005', currency: 'USD', user_id: 1 }] }),
    );
    const { code, failure } = await runReconciler({ API_URL: api.url });
    expect(code).toBe(1);
    expect(failure?.error).toMatch(/^malformed page from GET \/transactions.*item 0: amount "1.005"/);
  });

  it('refuses a next link to another origin', async () => {
    api = await startFakeApi((_req, res) =>
      sendJson(res, 200, [{ id: 1, currency: 'USD', is_active: true }], {
        link: '<http://evil.example/users?after=1>; rel="next"',
      }),
    );
    const { code, failure } = await runReconciler({ API_URL: api.url });
    expect(code).toBe(1);
    expect(failure?.error).toMatch(/next link to another origin \(http:\/\/evil.example\)/);
    expect(api.requests).toHaveLength(1);
  });

  it('exits 2 with every bad setting named on one line', async () => {
    const { code, failure, stderr } = await runReconciler({ API_URL: 'nope', RECONCILER_TOP_N: '-3' });
    expect(code).toBe(2);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(failure?.problems).toEqual([
      'API_URL is not a URL: "nope"',
      'RECONCILER_TOP_N=-3 is not a whole number from 0 to 1000',
    ]);
  });
});
