import { describe, expect, it } from 'vitest';
import { parseCents } from '../src/money.js';
import { Reconciliation } from '../src/reconcile.js';
import type { TransactionRecord } from '../src/records.js';

let nextId = 1;
function tx(userId: number, amount: string, currency = 'USD'): TransactionRecord {
  return { id: nextId++, userId, currency, cents: parseCents(amount) };
}

function seeded(topN = 10, sampleSize = 10): Reconciliation {
  const reconciliation = new Reconciliation({ topN, sampleSize });
  reconciliation.addUser({ id: 1, currency: 'USD', active: true });
  reconciliation.addUser({ id: 2, currency: 'USD', active: true });
  reconciliation.addUser({ id: 3, currency: 'GBP', active: false });
  reconciliation.addUser({ id: 4, currency: 'EUR', active: true });
  return reconciliation;
}

describe('Reconciliation', () => {
  it('totals per currency and per user in exact cents', () => {
    const r = seeded();
    for (const t of [tx(1, '0.10'), tx(1, '0.20'), tx(2, '10.00'), tx(2, '-0.30'), tx(4, '5.55', 'EUR')]) {
      r.addTransaction(t);
    }
    const summary = r.summary();
    expect(summary.counts).toEqual({ users: 4, inactiveUsers: 1, transactions: 5 });
    expect(summary.totalsByCurrency).toEqual({
      EUR: { count: 1, total: '5.55' },
      USD: { count: 4, total: '10.00' },
    });
    expect(summary.perUser.count).toBe(3);
    expect(summary.perUser.top).toEqual({
      EUR: [{ userId: 4, count: 1, total: '5.55' }],
      USD: [
        { userId: 2, count: 2, total: '9.70' },
        { userId: 1, count: 2, total: '0.30' },
      ],
    });
    expect(summary.anomalies.unknownUser.count + summary.anomalies.inactiveUser.count).toBe(0);
    expect(summary.anomalies.currencyMismatch.count).toBe(0);
  });

  it('keeps only the top N per currency, ties broken by the lower user id', () => {
    const r = new Reconciliation({ topN: 2, sampleSize: 0 });
    for (let id = 1; id <= 5; id += 1) r.addUser({ id, currency: 'USD', active: true });
    for (const [userId, amount] of [
      [5, '3.00'],
      [1, '1.00'],
      [4, '3.00'],
      [2, '2.00'],
      [3, '9.99'],
    ] as const) {
      r.addTransaction(tx(userId, amount));
    }
    expect(r.summary().perUser.top.USD?.map((u) => [u.userId, u.total])).toEqual([
      [3, '9.99'],
      [4, '3.00'],
    ]);
  });

  it('flags transactions of unknown users, of inactive users and in a currency other than the user’s', () => {
    const r = seeded();
    const unknown = tx(99, '1.00');
    const inactive = tx(3, '2.00', 'GBP');
    const mismatch = tx(1, '3.00', 'EUR');
    const inactiveAndMismatch = tx(3, '4.00', 'USD');
    for (const t of [unknown, inactive, mismatch, inactiveAndMismatch, tx(1, '5.00')]) r.addTransaction(t);
    const { anomalies, totalsByCurrency, perUser } = r.summary();

    expect(anomalies.unknownUser).toEqual({
      count: 1,
      sample: [{ transactionId: unknown.id, userId: 99, currency: 'USD', amount: '1.00' }],
    });
    expect(anomalies.inactiveUser.count).toBe(2);
    expect(anomalies.inactiveUser.sample.map((s) => s.transactionId)).toEqual([
      inactive.id,
      inactiveAndMismatch.id,
    ]);
    expect(anomalies.currencyMismatch.count).toBe(2);
    expect(anomalies.currencyMismatch.sample[0]).toEqual({
      transactionId: mismatch.id,
      userId: 1,
      currency: 'EUR',
      amount: '3.00',
      userCurrency: 'USD',
    });
    // Anomalous transactions still count in the currency totals; unknown users get no per-user entry.
    expect(totalsByCurrency.USD).toEqual({ count: 3, total: '10.00' });
    expect(
      Object.values(perUser.top)
        .flat()
        .some((u) => u.userId === 99),
    ).toBe(false);
    expect(perUser.top.EUR).toEqual([{ userId: 1, count: 1, total: '3.00' }]);
  });

  it('keeps a bounded sample but an exact count', () => {
    const r = new Reconciliation({ topN: 1, sampleSize: 3 });
    for (let i = 0; i < 1000; i += 1) r.addTransaction(tx(1000 + i, '0.01'));
    const { anomalies, totalsByCurrency } = r.summary();
    expect(anomalies.unknownUser.count).toBe(1000);
    expect(anomalies.unknownUser.sample).toHaveLength(3);
    expect(totalsByCurrency.USD).toEqual({ count: 1000, total: '10.00' });
  });

  it('refuses a user listed twice', () => {
    const r = seeded();
    expect(() => r.addUser({ id: 2, currency: 'USD', active: true })).toThrow(/user 2 was listed twice/);
  });
});
