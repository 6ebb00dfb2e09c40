// Migrations and the deterministic seed, against a real PostgreSQL.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDbConfig } from '../src/config.js';
import { createSql } from '../src/db/client.js';
import { DEFAULT_SEED, migrate, seed } from '../src/db/migrate.js';
import { PURCHASE_DESCRIPTIONS, createRandom, generateUsers } from '../src/db/seed-data.js';
import { startDatabase, type Database } from './helpers.js';

let db: Database;

beforeAll(async () => {
  db = await startDatabase();
});

afterAll(async () => {
  await db?.stop();
});

describe('seed generator', () => {
  it('is deterministic for a seed and differs between seeds', () => {
    const first = [...generateUsers(createRandom(42), 5)];
    expect([...generateUsers(createRandom(42), 5)]).toEqual(first);
    expect([...generateUsers(createRandom(43), 5)]).not.toEqual(first);
  });

  it('draws user currencies USD:GBP:EUR close to 8:1:1', () => {
    const counts = { USD: 0, GBP: 0, EUR: 0 };
    for (const user of generateUsers(createRandom(7), 20_000)) counts[user.currency] += 1;
    expect(counts.USD / 20_000).toBeCloseTo(0.8, 1);
    expect(counts.GBP / 20_000).toBeCloseTo(0.1, 1);
    expect(counts.EUR / 20_000).toBeCloseTo(0.1, 1);
  });
});

describe('default seed (77 users, 5944 transactions)', () => {
  it('has the workshop sizes', async () => {
    const [row] =
      await db.sql`select (select count(*)::int from users) as users, (select count(*)::int from transactions) as tx`;
    expect(row).toEqual({ users: DEFAULT_SEED.users, tx: DEFAULT_SEED.transactions });
  });

  it('has workshop-shaped users', async () => {
    const users = await db.sql`select * from users order by id`;
    for (const user of users) {
      expect(user.country).toMatch(/^[A-Z]{2}$/);
      expect(user.password_hash).toMatch(/^[0-9a-f]{32}$/);
      expect(user.credit_card).toMatch(/^[0-9]{13,16}$/);
      expect(['USD', 'GBP', 'EUR']).toContain(user.currency);
      expect(user.email).toMatch(/^[a-z]+_[a-z]+\d+@[a-z.]+$/);
    }
    const currencies = new Set(users.map((user) => user.currency));
    expect(currencies).toEqual(new Set(['USD', 'GBP', 'EUR']));
  });

  it('loads exactly what the generator produces for the default seed', async () => {
    const expected = [...generateUsers(createRandom(DEFAULT_SEED.seed), 3)];
    const rows = await db.sql`select * from users where id <= 3 order by id`;
    expect(rows.map((row) => ({ ...row, created_at: (row.created_at as Date).toISOString() }))).toEqual(
      expected,
    );
  });

  it('has transactions owned by existing users, with the six purchase descriptions and 2-decimal amounts', async () => {
    const [orphans] = await db.sql`
      select count(*)::int as n from transactions t left join users u on u.id = t.user_id where u.id is null`;
    expect(orphans?.n).toBe(0);
    const descriptions = await db.sql`select distinct description from transactions order by 1`;
    expect(descriptions.map((row) => row.description)).toEqual([...PURCHASE_DESCRIPTIONS].sort());
    const [bad] = await db.sql`
      select count(*)::int as n from transactions where amount::text !~ '^[0-9]+\\.[0-9]{2}$' or amount <= 0`;
    expect(bad?.n).toBe(0);
    const [matching] = await db.sql`
      select avg((t.currency = u.currency)::int)::float as share from transactions t join users u on u.id = t.user_id`;
    expect(matching?.share).toBeGreaterThan(0.95);
  });

  it('indexes transactions.user_id', async () => {
    const indexes = await db.sql`select indexdef from pg_indexes where tablename = 'transactions'`;
    expect(indexes.map((row) => row.indexdef).join('\n')).toMatch(/\(user_id, id\)/);
  });

  it('never seeds twice and migrations are idempotent; new ids follow the seeded ones', async () => {
    expect(await migrate(db.sql)).toEqual({ applied: [] });
    expect(await seed(db.sql)).toEqual({ seeded: false, users: 0, transactions: 0 });
    const [row] = await db.sql`
      insert into users (credit_card, currency, email, country, username)
      values ('4111111111111111', 'USD', 'x@y.z', 'NO', 'next') returning id`;
    expect(row?.id).toBe(DEFAULT_SEED.users + 1);
    await db.sql`delete from users where id = ${row?.id as number}`;
  });

  it('refuses nonsense sizes before touching the database', async () => {
    await expect(seed(db.sql, { users: 0 })).rejects.toThrow(/users must be an integer >= 1/);
    await expect(seed(db.sql, { transactions: -5 })).rejects.toThrow(/transactions must be an integer >= 0/);
  });
});

describe('seed at scale', () => {
  it('loads 10k users and 100k transactions with COPY in seconds', async () => {
    await db.sql`create database scale`;
    const sql = createSql(loadDbConfig({ ...db.pg.env, PGDATABASE: 'scale' }), { max: 1 });
    try {
      await migrate(sql);
      const started = performance.now();
      expect(await seed(sql, { users: 10_000, transactions: 100_000, seed: 1 })).toEqual({
        seeded: true,
        users: 10_000,
        transactions: 100_000,
      });
      const seconds = (performance.now() - started) / 1000;
      expect(seconds).toBeLessThan(30);
      const [row] = await sql`select count(*)::int as n, max(user_id) as top from transactions`;
      expect(row).toEqual({ n: 100_000, top: 10_000 });
    } finally {
      await sql.end();
    }
  });
});

describe('migrate command', () => {
  const cli = fileURLToPath(new URL('../src/migrate.ts', import.meta.url));
  const tsx = fileURLToPath(new URL('../../../node_modules/.bin/tsx', import.meta.url));
  const run = (args: string[], env: Record<string, string>) =>
    promisify(execFile)(tsx, [cli, ...args], { env: { PATH: process.env.PATH ?? '', ...env } });
  const runFailing = (args: string[], env: Record<string, string>) =>
    run(args, env).then(
      () => {
        throw new Error('expected migrate to fail');
      },
      (error: unknown) => error as { code: number; stdout: string; stderr: string },
    );

  it('migrates and seeds the requested sizes, printing one JSON line', async () => {
    await db.sql`create database cli`;
    const { stdout } = await run(['--seed', '--users', '5', '--transactions', '20'], {
      ...db.pg.env,
      PGDATABASE: 'cli',
    });
    expect(JSON.parse(stdout)).toMatchObject({
      ok: true,
      command: 'migrate',
      migrated: [1],
      seed: { seeded: true, users: 5, transactions: 20 },
    });
    const sql = createSql(loadDbConfig({ ...db.pg.env, PGDATABASE: 'cli' }), { max: 1 });
    try {
      const [row] =
        await sql`select (select count(*)::int from users) as users, (select count(*)::int from transactions) as tx`;
      expect(row).toEqual({ users: 5, tx: 20 });
    } finally {
      await sql.end();
    }
  });

  it('exits 2 with one JSON line naming a bad argument, and never prints the database password', async () => {
    const failure = await runFailing(['--seed', '--users', 'many'], { ...db.pg.env });
    expect(failure).toMatchObject({ code: 2, stdout: '' });
    expect(failure.stderr.split('\n')).toHaveLength(2);
    expect(JSON.parse(failure.stderr)).toEqual({
      command: 'migrate',
      ok: false,
      kind: 'config',
      error: 'invalid configuration: --users must be a whole number, got "many"',
      problems: ['--users must be a whole number, got "many"'],
    });
    const refused = await runFailing([], { ...db.pg.env, PGUSER: 'nobody' });
    expect(refused.code).toBe(1);
    expect(JSON.parse(refused.stderr)).toMatchObject({ ok: false, command: 'migrate' });
    expect(refused.stderr).not.toContain(db.pg.password);
  });
});
