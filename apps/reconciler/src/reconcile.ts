import { ReconcilerError } from './errors.js';
import { CentsSum, formatCents } from './money.js';
import type { TransactionRecord, UserRecord } from './records.js';

export interface ReconcileOptions {
  /** Users listed per currency in `perUser.top`. */
  topN: number;
  /** Transactions kept per anomaly kind as examples; the count is always exact. */
  sampleSize: number;
}

export interface CurrencyTotal {
  count: number;
  /** Decimal string, summed in integer cents. */
  total: string;
}

export interface UserTotal {
  userId: number;
  count: number;
  total: string;
}

export interface AnomalySample {
  transactionId: number;
  userId: number;
  currency: string;
  amount: string;
  /** The user's own currency, for currency mismatches. */
  userCurrency?: string;
}

export interface AnomalyReport {
  count: number;
  sample: AnomalySample[];
}

export interface ReconcileSummary {
  counts: { users: number; inactiveUsers: number; transactions: number };
  totalsByCurrency: Record<string, CurrencyTotal>;
  perUser: {
    /** Users with at least one transaction. */
    count: number;
    /** Per transaction currency, the users with the largest totals (ties by lower id). */
    top: Record<string, UserTotal[]>;
  };
  anomalies: { unknownUser: AnomalyReport; inactiveUser: AnomalyReport; currencyMismatch: AnomalyReport };
}

type AnomalyKind = keyof ReconcileSummary['anomalies'];

/** Per-user state: the map grows with users, never with transactions. */
interface UserState {
  currency: string;
  active: boolean;
  /** Transactions and cents in the user's own currency. */
  count: number;
  cents: CentsSum;
  /** Totals in other currencies (mismatches), created only when one occurs. */
  others?: Map<string, Total>;
}

interface Total {
  count: number;
  cents: CentsSum;
}

/** Aggregates users, then a stream of transactions, into totals and anomalies. */
export class Reconciliation {
  private readonly users = new Map<number, UserState>();
  private inactiveUsers = 0;
  private transactions = 0;
  private readonly byCurrency = new Map<string, Total>();
  private readonly anomalies: Record<AnomalyKind, AnomalyReport> = {
    unknownUser: { count: 0, sample: [] },
    inactiveUser: { count: 0, sample: [] },
    currencyMismatch: { count: 0, sample: [] },
  };

  constructor(private readonly options: ReconcileOptions) {}

  /** Users held so far: the only state that grows with the data. */
  get userCount(): number {
    return this.users.size;
  }

  addUser(user: UserRecord): void {
    if (this.users.has(user.id))
      throw new ReconcilerError(`user ${user.id} was listed twice`, 'malformed-page');
    if (this.transactions > 0)
      throw new ReconcilerError('users must all be added before transactions', 'internal');
    this.users.set(user.id, {
      currency: user.currency,
      active: user.active,
      count: 0,
      cents: new CentsSum(),
    });
    if (!user.active) this.inactiveUsers += 1;
  }

  addTransaction(tx: TransactionRecord): void {
    this.transactions += 1;
    addTo(this.byCurrency, tx.currency, tx.cents);
    const user = this.users.get(tx.userId);
    if (user === undefined) {
      // No per-user state for unknown ids: their number is bounded only by the transactions.
      this.flag('unknownUser', tx);
      return;
    }
    if (tx.currency === user.currency) {
      user.count += 1;
      user.cents.add(tx.cents);
    } else {
      addTo((user.others ??= new Map()), tx.currency, tx.cents);
      this.flag('currencyMismatch', tx, user.currency);
    }
    if (!user.active) this.flag('inactiveUser', tx);
  }

  summary(): ReconcileSummary {
    const ranked = new Map<string, { userId: number; count: number; cents: bigint }[]>();
    let usersWithTransactions = 0;
    const rank = (currency: string, entry: { userId: number; count: number; cents: bigint }) => {
      let list = ranked.get(currency);
      if (list === undefined) ranked.set(currency, (list = []));
      list.push(entry);
    };
    for (const [userId, user] of this.users) {
      if (user.count > 0 || user.others !== undefined) usersWithTransactions += 1;
      if (user.count > 0) rank(user.currency, { userId, count: user.count, cents: user.cents.total });
      for (const [currency, total] of user.others ?? [])
        rank(currency, { userId, count: total.count, cents: total.cents.total });
    }
    const top: Record<string, UserTotal[]> = {};
    for (const currency of [...ranked.keys()].sort()) {
      top[currency] = (ranked.get(currency) ?? [])
        .sort((a, b) => (a.cents === b.cents ? a.userId - b.userId : a.cents > b.cents ? -1 : 1))
        .slice(0, this.options.topN)
        .map(({ userId, count, cents }) => ({ userId, count, total: formatCents(cents) }));
    }
    const totalsByCurrency: Record<string, CurrencyTotal> = {};
    for (const currency of [...this.byCurrency.keys()].sort()) {
      const total = this.byCurrency.get(currency);
      if (total) totalsByCurrency[currency] = { count: total.count, total: formatCents(total.cents.total) };
    }
    return {
      counts: { users: this.users.size, inactiveUsers: this.inactiveUsers, transactions: this.transactions },
      totalsByCurrency,
      perUser: { count: usersWithTransactions, top },
      anomalies: {
        unknownUser: copy(this.anomalies.unknownUser),
        inactiveUser: copy(this.anomalies.inactiveUser),
        currencyMismatch: copy(this.anomalies.currencyMismatch),
      },
    };
  }

  private flag(kind: AnomalyKind, tx: TransactionRecord, userCurrency?: string): void {
    const report = this.anomalies[kind];
    report.count += 1;
    if (report.sample.length < this.options.sampleSize) {
      report.sample.push({
        transactionId: tx.id,
        userId: tx.userId,
        currency: tx.currency,
        amount: formatCents(tx.cents),
        ...(userCurrency !== undefined ? { userCurrency } : {}),
      });
    }
  }
}

function addTo(totals: Map<string, Total>, currency: string, cents: number): void {
  let total = totals.get(currency);
  if (total === undefined) totals.set(currency, (total = { count: 0, cents: new CentsSum() }));
  total.count += 1;
  total.cents.add(cents);
}

function copy(report: AnomalyReport): AnomalyReport {
  return { count: report.count, sample: [...report.sample] };
}
