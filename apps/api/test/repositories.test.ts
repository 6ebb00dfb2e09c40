// Repositories against a real PostgreSQL: timestamps come back exactly as Date#toISOString rendered them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type postgres from 'postgres';
import { TransactionsRepository } from '../src/repositories/transactions.js';
import { UsersRepository } from '../src/repositories/users.js';
import { TRANSACTION_FIELDS } from '../src/schemas/transactions.js';
import { USER_FIELDS } from '../src/schemas/users.js';
import { startDatabase, type Database } from './helpers.js';

// Stored value -> what the driver's Date and toISOString made of it (microseconds truncated, UTC, 3 digits).
const STAMPS: [string, string][] = [
  ['2024-02-29 23:59:59.999999+00', '2024-02-29T23:59:59.999Z'],
  ['2024-06-01 12:00:00.123456+05:30', '2024-06-01T06:30:00.123Z'],
  ['2001-09-09 01:46:40+00', '2001-09-09T01:46:40.000Z'],
  ['1999-12-31 23:00:00.5-01', '2000-01-01T00:00:00.500Z'],
  ['2030-03-31 02:30:00.000001+02', '2030-03-31T00:30:00.000Z'],
];

let db: Database;
let session: postgres.ReservedSql;
let users: UsersRepository;
let transactions: TransactionsRepository;
const userIds: number[] = [];
const transactionIds: number[] = [];

beforeAll(async () => {
  db = await startDatabase({ seed: false });
  // A session far from UTC with a non-ISO DateStyle: the output must not depend on either.
  session = await db.sql.reserve();
  await session`set timezone to 'Pacific/Chatham'`;
  await session`set datestyle to 'SQL, DMY'`;
  users = new UsersRepository(session);
  transactions = new TransactionsRepository(session);
  for (const [stored] of STAMPS) {
    const [user] = await db.sql<{ id: number }[]>`
      insert into users (credit_card, currency, email, country, username, created_at)
      values ('4111111111111111', 'USD', 'a@example.com', 'GB', 'stamp', ${stored}::timestamptz)
      returning id`;
    const [transaction] = await db.sql<{ id: number }[]>`
      insert into transactions (amount, currency, description, "timestamp", user_id)
      values (1.5, 'USD', 'stamp', ${stored}::timestamptz, ${user!.id})
      returning id`;
    userIds.push(user!.id);
    transactionIds.push(transaction!.id);
  }
}, 60_000);

afterAll(async () => {
  session?.release();
  await db?.stop();
});

describe('timestamps', () => {
  it('are rendered like toISOString of the driver Date, truncated to milliseconds', async () => {
    const driverDates = await db.sql<{ created_at: Date }[]>`select created_at from users order by id`;
    const page = await users.list({ limit: 100, after: 0, fields: ['id', 'created_at'] });
    expect(page.items.map((user) => user.created_at)).toEqual(STAMPS.map(([, iso]) => iso));
    expect(page.items.map((user) => user.created_at)).toEqual(
      driverDates.map((row) => row.created_at.toISOString()),
    );
    // The server's default session (ISO, UTC) gives the same strings.
    const plain = await new UsersRepository(db.sql).list({
      limit: 100,
      after: 0,
      fields: ['id', 'created_at'],
    });
    expect(plain.items).toEqual(page.items);
    const list = await transactions.list({ limit: 100, after: 0, fields: ['id', 'timestamp'] });
    expect(list.items.map((transaction) => transaction.timestamp)).toEqual(STAMPS.map(([, iso]) => iso));
  });

  it('keep the column order and types of the other fields for single reads', async () => {
    const user = await users.get(userIds[0]!, USER_FIELDS);
    expect(Object.keys(user!)).toEqual([...USER_FIELDS]);
    expect(user).toMatchObject({ id: userIds[0], is_active: true, num_logins: 0, created_at: STAMPS[0]![1] });
    const transaction = await transactions.get(transactionIds[1]!, TRANSACTION_FIELDS);
    expect(Object.keys(transaction!)).toEqual([...TRANSACTION_FIELDS]);
    expect(transaction).toMatchObject({ amount: '1.50', user_id: userIds[1], timestamp: STAMPS[1]![1] });
  });

  it('come back from writes in the same shape as from reads', async () => {
    const created = await transactions.create({
      amount: '2.00',
      currency: 'EUR',
      description: 'write',
      timestamp: '2024-01-02T03:04:05.678901+00:00',
      user_id: userIds[0]!,
    });
    expect(created.timestamp).toBe('2024-01-02T03:04:05.678Z');
    expect(created).toEqual(await transactions.get(created.id, TRANSACTION_FIELDS));
    const updated = await transactions.update(created.id, { timestamp: '2024-01-02T03:04:05+01:00' });
    expect(updated!.timestamp).toBe('2024-01-02T02:04:05.000Z');

    const user = await users.create({
      credit_card: '4111111111111111',
      currency: 'GBP',
      email: 'b@example.com',
      country: 'FR',
      username: 'writer',
    });
    expect(user.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(user).toEqual(await users.get(user.id, USER_FIELDS));
    const renamed = await users.update(user.id, { username: 'renamed' });
    expect(renamed).toEqual({ ...user, username: 'renamed' });
  });
});
