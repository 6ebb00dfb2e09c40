// Peak RSS and throughput of one reconciliation against the real API and PostgreSQL, at several sizes.
// Usage: node --import tsx apps/reconciler/bench/memory.ts [--users 1000] [--transactions 200000] [--hardened]
import { parseArgs } from 'node:util';
import postgres from 'postgres';
import { migrate, seed } from '../../api/src/db/migrate.js';
import { startApi } from '../../api/src/start.js';
import { startPostgres } from '../../../test-support/postgres.js';
import { createHardenedSetup } from '../test/hardened.js';
import { runReconciler } from '../test/helpers.js';

const { values } = parseArgs({
  options: {
    users: { type: 'string', default: '1000' },
    transactions: { type: 'string', default: '200000' },
    hardened: { type: 'boolean', default: false },
  },
});
const users = Number(values.users);
const transactions = Number(values.transactions);
if (!Number.isSafeInteger(users) || users < 1 || !Number.isSafeInteger(transactions) || transactions < 10) {
  throw new Error('--users must be >= 1 and --transactions >= 10');
}

const pg = await startPostgres();
const sql = postgres({
  host: pg.host,
  port: pg.port,
  database: pg.database,
  user: pg.user,
  password: pg.password,
  max: 1,
});
const setup = values.hardened ? await createHardenedSetup() : undefined;
try {
  await migrate(sql);
  const seeding = performance.now();
  await seed(sql, { users, transactions });
  console.log(
    JSON.stringify({ seeded: { users, transactions }, seconds: (performance.now() - seeding) / 1000 }),
  );
  const db = { ...pg.env, PGSSLMODE: 'disable', LOG_LEVEL: 'silent', PORT: '0' };
  const api = await startApi(
    setup
      ? { ...db, ...setup.apiEnv(await setup.writeClients('clients.json')) }
      : { ...db, AUTH_MODE: 'none' },
  );
  try {
    // Largest first, then the same data cut down: flat memory means the peaks stay close.
    for (const size of [transactions, transactions / 2, transactions / 4, transactions / 10].map(
      Math.floor,
    )) {
      await sql`delete from transactions where id > ${size}`;
      const result = await runReconciler(setup ? setup.reconcilerEnv(api.url) : { API_URL: api.url });
      if (result.code !== 0 || !result.report) throw new Error(`reconciler failed: ${result.stderr.trim()}`);
      const { counts, durationMs, transactionsPerSecond, peakRssKiB } = result.report;
      console.log(
        JSON.stringify({
          mode: setup ? 'hardened' : 'start',
          transactions: counts.transactions,
          users: counts.users,
          pages: counts.pages,
          durationMs,
          transactionsPerSecond,
          peakRssMiB: Math.round(peakRssKiB / 102.4) / 10,
        }),
      );
    }
  } finally {
    await api.close();
  }
} finally {
  await sql.end({ timeout: 5 });
  await pg.stop();
  await setup?.remove();
}
