// A small bank schema and deterministic data shaped like the API's users and transactions.
import type { Sql } from '../src/database.js';

export async function createBankData(sql: Sql, users: number, transactions: number): Promise<void> {
  await sql.unsafe(`
    create table users (
      id serial primary key,
      credit_card text not null,
      currency text not null,
      email text not null unique,
      is_active boolean not null,
      country char(2) not null,
      num_logins integer not null,
      password_hash text,
      username text not null,
      created_at timestamptz not null
    );
    create table transactions (
      id serial primary key,
      amount numeric(14,2) not null,
      currency text not null,
      description text not null,
      "timestamp" timestamptz not null,
      user_id integer not null references users(id)
    );`);
  const currencies = ['USD', 'GBP', 'EUR'];
  const userRows = Array.from({ length: users }, (_, i) => ({
    credit_card: `4111${String(1e11 + i * 7919).slice(0, 12)}`,
    currency: currencies[i % 3] ?? 'USD',
    email: `user${i}@example.test`,
    is_active: i % 5 !== 0,
    country: ['GB', 'US', 'DE'][i % 3] ?? 'GB',
    num_logins: (i * 37) % 101,
    password_hash: i % 4 === 0 ? null : `scrypt$${i}`,
    username: `user${i}`,
    created_at: new Date(Date.UTC(2024, 0, 1) + i * 3_600_000),
  }));
  await sql`insert into users ${sql(userRows)}`;
  const transactionRows = Array.from({ length: transactions }, (_, i) => ({
    amount: `${(i * 1237) % 100_000}.${String(i % 100).padStart(2, '0')}`,
    currency: currencies[i % 3] ?? 'USD',
    description: `payment ${i} – café`,
    timestamp: new Date(Date.UTC(2024, 1, 1) + i * 60_000),
    user_id: (i % users) + 1,
  }));
  for (let start = 0; start < transactionRows.length; start += 1000) {
    await sql`insert into transactions ${sql(transactionRows.slice(start, start + 1000))}`;
  }
}
