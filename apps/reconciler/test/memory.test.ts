import type { ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runReconciler, sendJson, startFakeApi, type FakeApi } from './helpers.js';

const USERS = 1000;
const CURRENCIES = ['USD', 'USD', 'USD', 'USD', 'USD', 'USD', 'USD', 'USD', 'GBP', 'EUR'];

/** Transactions made up on the fly, so the fake API itself holds nothing either. */
function servePage(res: ServerResponse, url: URL, total: number): void {
  const limit = Number(url.searchParams.get('limit') ?? 100);
  const after = Number(url.searchParams.get('after') ?? 0);
  const count = url.pathname === '/users' ? USERS : total;
  const ids = Array.from({ length: Math.max(0, Math.min(limit, count - after)) }, (_, i) => after + i + 1);
  const rows =
    url.pathname === '/users'
      ? ids.map((id) => ({ id, currency: CURRENCIES[id % 10], is_active: id % 7 !== 0 }))
      : ids.map((id) => ({
          id,
          amount: `${id % 997}.${String(id % 100).padStart(2, '0')}`,
          currency: CURRENCIES[(id >> 3) % 10],
          user_id: (id % USERS) + 1,
          description: 'Purchase of a fairly long description to make the page realistic',
        }));
  const next = new URL(url);
  next.searchParams.set('after', String(ids.at(-1) ?? after));
  const more = (ids.at(-1) ?? count) < count;
  sendJson(res, 200, rows, more ? { link: `<${next.pathname}${next.search}>; rel="next"` } : {});
}

let small: FakeApi;
let large: FakeApi;
const N = 100_000;

beforeAll(async () => {
  small = await startFakeApi((req, res) => servePage(res, new URL(req.url ?? '/', 'http://fake'), N));
  large = await startFakeApi((req, res) => servePage(res, new URL(req.url ?? '/', 'http://fake'), 4 * N));
});
afterAll(async () => {
  await small.close();
  await large.close();
});

describe('memory', () => {
  it('peak RSS does not grow with the number of transactions (N vs 4N)', async () => {
    const runSmall = await runReconciler({ API_URL: small.url });
    const runLarge = await runReconciler({ API_URL: large.url });
    expect(runSmall.stderr + runLarge.stderr).toBe('');
    expect(runSmall.report?.counts.transactions).toBe(N);
    expect(runLarge.report?.counts.transactions).toBe(4 * N);
    const smallKiB = runSmall.report?.peakRssKiB ?? 0;
    const largeKiB = runLarge.report?.peakRssKiB ?? 0;
    console.log(`peak RSS: ${N} transactions ${smallKiB} KiB, ${4 * N} transactions ${largeKiB} KiB`);
    // Keeping the extra 3N transactions would cost far more than 24 MiB; GC jitter stays well below it.
    expect(largeKiB - smallKiB).toBeLessThan(24 * 1024);
  });
});
