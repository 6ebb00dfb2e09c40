// Applies schema migrations and loads the deterministic seed; run by the `migrate` command, never by the API.
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { TRANSACTION_FIELDS } from '../schemas/transactions.js';
import { USER_COLUMNS } from '../schemas/users.js';
import { MIGRATIONS } from './schema.js';
import type { Sql } from './client.js';
import {
  createRandom,
  generateTransactions,
  generateUsers,
  type Currency,
  type SeedTransaction,
  type SeedUser,
} from './seed-data.js';

export const DEFAULT_SEED = { users: 77, transactions: 5944, seed: 20230817 } as const;
// Any constant works; it keeps two concurrent `migrate` runs from interleaving.
const MIGRATION_LOCK = 7_262_001;

export interface MigrateResult {
  applied: number[];
}

export async function migrate(sql: Sql): Promise<MigrateResult> {
  return sql.begin(async (tx) => {
    await tx`select pg_advisory_xact_lock(${MIGRATION_LOCK})`;
    await tx`create table if not exists schema_migrations (
      version integer primary key,
      name text not null,
      applied_at timestamptz not null default now()
    )`;
    const done = new Set(
      (await tx<{ version: number }[]>`select version from schema_migrations`).map((r) => r.version),
    );
    const applied: number[] = [];
    for (const migration of MIGRATIONS) {
      if (done.has(migration.version)) continue;
      for (const statement of migration.statements) await tx.unsafe(statement);
      await tx`insert into schema_migrations ${tx({ version: migration.version, name: migration.name })}`;
      applied.push(migration.version);
    }
    return { applied };
  });
}

export interface SeedOptions {
  users?: number;
  transactions?: number;
  seed?: number;
}

export interface SeedResult {
  /** False when users already existed: seeding never touches existing data. */
  seeded: boolean;
  users: number;
  transactions: number;
}

// COPY text format: backslash, tab and newlines must be escaped.
function copyField(value: string | number | boolean): string {
  return String(value).replace(
    /[\\\t\n\r]/g,
    (c) => ({ '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' })[c] ?? c,
  );
}

function* copyLines<T>(rows: Iterable<T>, columns: readonly (keyof T)[], batch = 2000): Generator<string> {
  let chunk: string[] = [];
  for (const row of rows) {
    chunk.push(columns.map((column) => copyField(row[column] as string | number | boolean)).join('\t'));
    if (chunk.length >= batch) {
      yield `${chunk.join('\n')}\n`;
      chunk = [];
    }
  }
  if (chunk.length > 0) yield `${chunk.join('\n')}\n`;
}

// The seed fills every column of the tables, in the schemas' order.
const USER_COPY_COLUMNS = USER_COLUMNS satisfies readonly (keyof SeedUser)[];
const TRANSACTION_COPY_COLUMNS = TRANSACTION_FIELDS satisfies readonly (keyof SeedTransaction)[];

function positiveCount(name: string, value: number, allowZero: boolean): number {
  if (!Number.isSafeInteger(value) || value < (allowZero ? 0 : 1)) {
    throw new RangeError(`${name} must be an integer >= ${allowZero ? 0 : 1}, got ${value}`);
  }
  return value;
}

export async function seed(sql: Sql, options: SeedOptions = {}): Promise<SeedResult> {
  const userCount = positiveCount('users', options.users ?? DEFAULT_SEED.users, false);
  const transactionCount = positiveCount(
    'transactions',
    options.transactions ?? DEFAULT_SEED.transactions,
    true,
  );
  const random = createRandom(options.seed ?? DEFAULT_SEED.seed);
  return sql.begin(async (tx) => {
    await tx`select pg_advisory_xact_lock(${MIGRATION_LOCK})`;
    const [existing] = await tx<{ present: boolean }[]>`select exists (select 1 from users) as present`;
    if (existing?.present) return { seeded: false, users: 0, transactions: 0 };

    const currencies: Currency[] = [];
    const users = (function* () {
      for (const user of generateUsers(random, userCount)) {
        currencies.push(user.currency);
        yield user;
      }
    })();
    const userCopy = await tx`copy users (${tx(USER_COPY_COLUMNS)}) from stdin`.writable();
    await pipeline(Readable.from(copyLines(users, USER_COPY_COLUMNS)), userCopy);

    // A bulk load checks the foreign key and builds the index once, not once per row.
    await tx`alter table transactions drop constraint transactions_user_id_fkey`;
    await tx`drop index transactions_user_id_idx`;
    const transactions = generateTransactions(random, transactionCount, currencies);
    const transactionCopy =
      await tx`copy transactions (${tx(TRANSACTION_COPY_COLUMNS)}) from stdin`.writable();
    await pipeline(Readable.from(copyLines(transactions, TRANSACTION_COPY_COLUMNS)), transactionCopy);
    await tx`create index transactions_user_id_idx on transactions (user_id, id)`;
    await tx`alter table transactions add constraint transactions_user_id_fkey
      foreign key (user_id) references users (id) on delete restrict`;

    // Explicit ids were loaded: move the identity sequences past them.
    await tx`select setval(pg_get_serial_sequence('users', 'id'), ${userCount})`;
    if (transactionCount > 0) {
      await tx`select setval(pg_get_serial_sequence('transactions', 'id'), ${transactionCount})`;
    }
    return { seeded: true, users: userCount, transactions: transactionCount };
  });
}
