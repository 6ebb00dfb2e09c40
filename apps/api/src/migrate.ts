// `migrate` command: schema migrations, then the deterministic seed with --seed. Prints one JSON line.
import { parseArgs } from 'node:util';
import { ConfigError, loadDbConfig } from './config.js';
import { createSql } from './db/client.js';
import { DEFAULT_SEED, migrate, seed } from './db/migrate.js';
import { runCli } from './shared/cli.js';

function count(name: string, raw: string | undefined, fallback: number, problems: string[]): number {
  if (raw === undefined) return fallback;
  if (/^\d+$/.test(raw)) return Number(raw);
  problems.push(`--${name} must be a whole number, got "${raw}"`);
  return fallback;
}

await runCli('migrate', async (redactor) => {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: {
      seed: { type: 'boolean', default: false },
      users: { type: 'string' },
      transactions: { type: 'string' },
      'random-seed': { type: 'string' },
    },
    strict: true,
  });
  const problems: string[] = [];
  const options = {
    users: count('users', values.users, DEFAULT_SEED.users, problems),
    transactions: count('transactions', values.transactions, DEFAULT_SEED.transactions, problems),
    seed: count('random-seed', values['random-seed'], DEFAULT_SEED.seed, problems),
  };
  if (problems.length > 0) throw new ConfigError(problems);
  const config = loadDbConfig(process.env);
  redactor.add(config.password);
  const sql = createSql(config, { max: 1 });
  try {
    const started = performance.now();
    const { applied } = await migrate(sql);
    const seeded = values.seed ? await seed(sql, options) : undefined;
    const seconds = Math.round(performance.now() - started) / 1000;
    return { ok: true, migrated: applied, seed: seeded ?? null, seconds };
  } finally {
    await sql.end({ timeout: 5 });
  }
});
