// Users in PostgreSQL. Columns come only from USER_FIELDS; values are always bound parameters.
import type { Sql } from '../db/client.js';
import {
  USER_FIELDS,
  type User,
  type UserCreate,
  type UserField,
  type UserUpdate,
} from '../schemas/users.js';
import {
  ColumnList,
  isoTimestamp,
  toPage,
  writableColumns,
  type ColumnExpression,
  type Page,
  type PageRequest,
} from './rows.js';

/*
 * Data minimisation, defence in depth beside the database firewall. No caller of this API needs a
 * password hash or a full card number, so neither leaves PostgreSQL towards the API at all:
 * password_hash is writable but never selected (not in USER_FIELDS; ?fields=password_hash is a 400),
 * and credit_card is masked in SQL to its last 4 digits for every token, whatever its scopes. A value
 * that is not a plain card number is masked whole, except the firewall's own ciphertext (jumpwire_...),
 * which holds no card number for the API to hide and shows the firewall at work. The firewall still
 * matters: it protects the data from an API bug, an injected query or a stolen database credential,
 * which this masking cannot.
 */
const maskedCard: ColumnExpression = (name) =>
  `case when ${name} ~ '^[0-9]{12,19}$' then '************' || right(${name}, 4)` +
  ` when ${name} ~ '^jumpwire_[A-Za-z0-9+/=_-]+$' then ${name}` +
  ` else '****************' end as ${name}`;

// Defence in depth behind the body schema: only these columns are ever written.
const WRITABLE = [
  'credit_card',
  'currency',
  'email',
  'is_active',
  'country',
  'num_logins',
  'password_hash',
  'username',
] as const;

const COLUMNS = new ColumnList<UserField>(USER_FIELDS, {
  credit_card: maskedCard,
  created_at: isoTimestamp,
});

export class UsersRepository {
  constructor(private readonly sql: Sql) {}

  async list(request: PageRequest<UserField>): Promise<Page<User>> {
    const { sql } = this;
    const rows = await sql<User[]>`
      select ${COLUMNS.fragment(sql, request.fields)} from users
      where id > ${request.after}
      order by id
      limit ${request.limit + 1}`;
    return toPage(rows, request.limit);
  }

  async get(id: number, fields: readonly UserField[]): Promise<User | undefined> {
    const { sql } = this;
    const [row] = await sql<User[]>`select ${COLUMNS.fragment(sql, fields)} from users where id = ${id}`;
    return row;
  }

  async create(input: UserCreate): Promise<User> {
    const { sql } = this;
    const [row] = await sql<
      User[]
    >`insert into users ${sql(input, writableColumns(input, WRITABLE))} returning ${COLUMNS.fragment(sql)}`;
    if (!row) throw new Error('insert returned no row');
    return row;
  }

  async update(id: number, input: UserUpdate): Promise<User | undefined> {
    const { sql } = this;
    const [row] = await sql<
      User[]
    >`update users set ${sql(input, writableColumns(input, WRITABLE))} where id = ${id} returning ${COLUMNS.fragment(sql)}`;
    return row;
  }

  /** False when there was no such user; a user with transactions raises a foreign-key error. */
  async remove(id: number): Promise<boolean> {
    const result = await this.sql`delete from users where id = ${id}`;
    return result.count > 0;
  }
}
