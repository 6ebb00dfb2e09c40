// Users in PostgreSQL. Columns come only from USER_FIELDS; values are always bound parameters.
import type { Sql } from '../db/client.js';
import {
  USER_FIELDS,
  type User,
  type UserCreate,
  type UserField,
  type UserUpdate,
} from '../schemas/users.js';
import { ColumnList, toPage, writableColumns, type Page, type PageRequest } from './rows.js';

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

const COLUMNS = new ColumnList<UserField>(USER_FIELDS, new Set(['created_at']));

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
