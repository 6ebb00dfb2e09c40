// `migrate` command: schema migrations, then the deterministic seed with --seed. Prints one JSON line.
import { parseArgs } from 'node:util';
import { ConfigError, loadDbConfig } from './config.js';
import { createSql } from './db/client.js';
import { DEFAULT_SEED, migrate, seed } from './db/migrate.js';

function count(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw)) throw new ConfigError([`--${name} must be a whole number, got "${raw}"`]);
  return Number(raw);
}

async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      seed: { type: 'boolean', default: false },
      users: { type: 'string' },
      transactions: { type: 'string' },
      'random-seed': { type: 'string' },
    },
    strict: true,
  });
  const options = {
    users: count('users', values.users, DEFAULT_SEED.users),
    transactions: count('transactions', values.transactions, DEFAULT_SEED.transactions),
    seed: count('random-seed', values['random-seed'], DEFAULT_SEED.seed),
  };
  const sql = createSql(loadDbConfig(process.env), { max: 1 });
  try {
    const started = performance.now();
    const { applied } = await migrate(sql);
    const seeded = values.seed ? await seed(sql, options) : undefined;
    const seconds = Math.round(performance.now() - started) / 1000;
    console.log(JSON.stringify({ migrated: applied, seed: seeded ?? null, seconds }));
  } finally {
    await sql.end({ timeout: 5 });
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  const message = error instanceof Error ? error.message : String(error);
  console.error(`migrate: ${message}`);
  process.exitCode = 1;
});
