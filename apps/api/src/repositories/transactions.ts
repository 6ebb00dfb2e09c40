// Transactions in PostgreSQL. Columns come only from TRANSACTION_FIELDS; values are always bound parameters.
import type { Sql } from '../db/client.js';
import { TRANSACTION_FIELDS, type Transaction, type TransactionField } from '../schemas/transactions.js';
import { ColumnList, isoTimestamp, toPage, writableColumns, type Page, type PageRequest } from './rows.js';

// Defence in depth behind the body schema: only these columns are ever written.
const WRITABLE = ['amount', 'currency', 'description', 'timestamp', 'user_id'] as const;

export interface TransactionWrite {
  amount?: string;
  currency?: string;
  description?: string;
  timestamp?: string;
  user_id?: number;
}

const COLUMNS = new ColumnList<TransactionField>(TRANSACTION_FIELDS, { timestamp: isoTimestamp });

export class TransactionsRepository {
  constructor(private readonly sql: Sql) {}

  async list(request: PageRequest<TransactionField> & { userId?: number }): Promise<Page<Transaction>> {
    const { sql } = this;
    const byUser = request.userId === undefined ? sql`` : sql`and user_id = ${request.userId}`;
    const rows = await sql<Transaction[]>`
      select ${COLUMNS.fragment(sql, request.fields)} from transactions
      where id > ${request.after} ${byUser}
      order by id
      limit ${request.limit + 1}`;
    return toPage(rows, request.limit);
  }

  async get(id: number, fields: readonly TransactionField[]): Promise<Transaction | undefined> {
    const { sql } = this;
    const [row] = await sql<
      Transaction[]
    >`select ${COLUMNS.fragment(sql, fields)} from transactions where id = ${id}`;
    return row;
  }

  async create(input: TransactionWrite): Promise<Transaction> {
    const { sql } = this;
    const [row] = await sql<
      Transaction[]
    >`insert into transactions ${sql(input, writableColumns(input, WRITABLE))} returning ${COLUMNS.fragment(sql)}`;
    if (!row) throw new Error('insert returned no row');
    return row;
  }

  async update(id: number, input: TransactionWrite): Promise<Transaction | undefined> {
    const { sql } = this;
    const [row] = await sql<Transaction[]>`
      update transactions set ${sql(input, writableColumns(input, WRITABLE))} where id = ${id} returning ${COLUMNS.fragment(sql)}`;
    return row;
  }

  async remove(id: number): Promise<boolean> {
    const result = await this.sql`delete from transactions where id = ${id}`;
    return result.count > 0;
  }
}
