import { randomUUID } from 'node:crypto';
import type { ReconcilerConfig } from './config.js';
import { ReconcilerError } from './errors.js';
import { createHttpClient, type HttpClient } from './http.js';
import { paginate, type PageSource } from './pages.js';
import { Reconciliation, type ReconcileSummary } from './reconcile.js';
import { TRANSACTION_FIELDS, USER_FIELDS, toTransactionRecord, toUserRecord } from './records.js';
import { fetchAccessToken, type AccessToken } from './token.js';

export interface RunReport extends Omit<ReconcileSummary, 'counts'> {
  ok: true;
  runId: string;
  startedAt: string;
  durationMs: number;
  counts: ReconcileSummary['counts'] & { pages: number; requests: number };
  transactionsPerSecond: number;
  /** Peak resident set size of this process, to show memory stays flat as data grows. */
  peakRssKiB: number;
}

export interface RunContext {
  runId?: string;
  now?: () => number;
  http?: HttpClient;
  /** Called with each credential as soon as it exists, so failures can be scrubbed of it. */
  onSecret?: (secret: string) => void;
}

/** One reconciliation: a fresh token, all users, then all transactions streamed page by page. */
export async function runReconciliation(
  config: ReconcilerConfig,
  context: RunContext = {},
): Promise<RunReport> {
  const now = context.now ?? Date.now;
  const started = now();
  const http = context.http ?? createHttpClient(config);
  const { limits } = config;
  const stats = { pages: 0, maxPages: limits.maxPages };
  // Independent of any CronJob deadline: the run ends itself, with its own error line.
  const deadline = new AbortController();
  const timer = setTimeout(
    () =>
      deadline.abort(
        new ReconcilerError(
          `run exceeded RECONCILER_MAX_RUN_MS=${limits.maxRunMs} ms after ${stats.pages} pages`,
          'limit',
        ),
      ),
    limits.maxRunMs,
  );
  try {
    let token: AccessToken | undefined;
    let tokenIssuedAt = 0;
    const source: PageSource = {
      http,
      signal: deadline.signal,
      async authorization() {
        const { oauth } = config;
        if (oauth === undefined) return undefined;
        // Refresh before expiry: a long run must not fail on a token issued at its start.
        const margin = token ? Math.min(60_000, (token.expiresAt - tokenIssuedAt) / 2) : 0;
        if (token === undefined || now() >= token.expiresAt - margin) {
          tokenIssuedAt = now();
          token = await fetchAccessToken(http, oauth, now, deadline.signal);
          context.onSecret?.(token.token.reveal());
        }
        return `Bearer ${token.token.reveal()}`;
      },
    };
    if (config.oauth) context.onSecret?.(config.oauth.clientSecret.reveal());

    const reconciliation = new Reconciliation({ topN: config.topN, sampleSize: config.sampleSize });
    for await (const users of paginate(source, listUrl(config, 'users', USER_FIELDS), toUserRecord, stats)) {
      for (const user of users) {
        if (reconciliation.userCount >= limits.maxUsers) {
          throw new ReconcilerError(
            `the API listed more than RECONCILER_MAX_USERS=${limits.maxUsers} users; refusing to hold more in memory`,
            'limit',
          );
        }
        reconciliation.addUser(user);
      }
    }
    const transactionsUrl = listUrl(config, 'transactions', TRANSACTION_FIELDS);
    for await (const transactions of paginate(source, transactionsUrl, toTransactionRecord, stats)) {
      for (const transaction of transactions) reconciliation.addTransaction(transaction);
    }

    const summary = reconciliation.summary();
    const durationMs = Math.max(0, now() - started);
    return {
      ok: true,
      runId: context.runId ?? randomUUID(),
      startedAt: new Date(started).toISOString(),
      durationMs,
      counts: { ...summary.counts, pages: stats.pages, requests: http.requestCount },
      totalsByCurrency: summary.totalsByCurrency,
      perUser: summary.perUser,
      anomalies: summary.anomalies,
      transactionsPerSecond: Math.round(summary.counts.transactions / Math.max(durationMs / 1000, 0.001)),
      peakRssKiB: process.resourceUsage().maxRSS,
    };
  } finally {
    clearTimeout(timer);
    if (context.http === undefined) await http.close();
  }
}

function listUrl(config: ReconcilerConfig, resource: string, fields: readonly string[]): string {
  const url = new URL(`${config.apiUrl}/${resource}`);
  url.searchParams.set('limit', String(config.pageSize));
  url.searchParams.set('fields', fields.join(','));
  return url.toString();
}
