import { ReconcilerError } from './errors.js';
import { parseCents } from './money.js';

export interface UserRecord {
  id: number;
  currency: string;
  active: boolean;
}

export interface TransactionRecord {
  id: number;
  userId: number;
  currency: string;
  /** Integer cents (a safe integer: numeric(14,2) fits). */
  cents: number;
}

/** Only the fields the reconciliation needs: no card numbers, hashes or e-mails leave the API. */
export const USER_FIELDS = ['id', 'currency', 'is_active'] as const;
export const TRANSACTION_FIELDS = ['id', 'amount', 'currency', 'user_id'] as const;

const CURRENCY = /^[A-Z]{3}$/;

/** Thrown for a page that is not an array of objects with the expected fields. */
export class MalformedPageError extends ReconcilerError {
  constructor(detail: string) {
    super(detail, 'malformed-page');
    this.name = 'MalformedPageError';
  }
}

export function toUserRecord(item: unknown, index: number): UserRecord {
  const row = asObject(item, index);
  return {
    id: id(row, 'id', index),
    currency: currency(row, index),
    active: boolean(row, 'is_active', index),
  };
}

export function toTransactionRecord(item: unknown, index: number): TransactionRecord {
  const row = asObject(item, index);
  let cents: number;
  try {
    cents = parseCents(row.amount);
  } catch (error) {
    throw new MalformedPageError(`item ${index}: ${(error as Error).message}`);
  }
  return {
    id: id(row, 'id', index),
    userId: id(row, 'user_id', index),
    currency: currency(row, index),
    cents,
  };
}

function asObject(item: unknown, index: number): Record<string, unknown> {
  if (typeof item !== 'object' || item === null || Array.isArray(item)) {
    throw new MalformedPageError(`item ${index} is not an object`);
  }
  return item as Record<string, unknown>;
}

function id(row: Record<string, unknown>, field: string, index: number): number {
  const value = row[field];
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new MalformedPageError(`item ${index}: ${field} is not a non-negative integer`);
  }
  return value;
}

function currency(row: Record<string, unknown>, index: number): string {
  const value = row.currency;
  if (typeof value !== 'string' || !CURRENCY.test(value)) {
    throw new MalformedPageError(`item ${index}: currency is not a 3-letter code`);
  }
  return value;
}

function boolean(row: Record<string, unknown>, field: string, index: number): boolean {
  const value = row[field];
  if (typeof value !== 'boolean') throw new MalformedPageError(`item ${index}: ${field} is not a boolean`);
  return value;
}
