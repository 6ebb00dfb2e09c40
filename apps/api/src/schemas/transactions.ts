// Transaction resource schemas; money travels as a decimal string.
import { Type, type Static } from 'typebox';
import { Currency, Id, MAX_INT, PageQuery, WritableTimestamp, noNul } from './common.js';

export const TRANSACTION_FIELDS = [
  'id',
  'amount',
  'currency',
  'description',
  'timestamp',
  'user_id',
] as const;
export type TransactionField = (typeof TRANSACTION_FIELDS)[number];

export const Transaction = Type.Object(
  {
    id: Id,
    amount: Type.Optional(Type.String({ description: 'Decimal string with 2 places, e.g. "12.34"' })),
    currency: Type.Optional(Currency),
    description: Type.Optional(Type.String()),
    timestamp: Type.Optional(Type.String({ format: 'date-time' })),
    user_id: Type.Optional(Id),
  },
  { description: 'Only id is always present: ?fields= selects the rest' },
);
export type Transaction = Static<typeof Transaction>;

export const TransactionList = Type.Array(Transaction);

export const TransactionListQuery = PageQuery(TRANSACTION_FIELDS, {
  user_id: Type.Optional(Type.Integer({ minimum: 0, maximum: MAX_INT, description: "Only this user's" })),
});

export const AMOUNT_PATTERN = '^-?[0-9]{1,12}(\\.[0-9]{1,2})?$';

const writable = {
  // A string, never a JSON number: money must not pass through a binary float on either side.
  amount: Type.String({
    pattern: AMOUNT_PATTERN,
    description: 'Decimal string: up to 12 digits, optionally a point and 1-2 decimals, e.g. "-12.5"',
  }),
  currency: Currency,
  description: Type.String({ minLength: 1, maxLength: 500, pattern: noNul }),
  timestamp: WritableTimestamp,
  user_id: Type.Integer({ minimum: 1, maximum: MAX_INT }),
};

export const TransactionCreate = Type.Object(
  {
    amount: writable.amount,
    currency: writable.currency,
    description: writable.description,
    timestamp: Type.Optional(writable.timestamp),
    user_id: writable.user_id,
  },
  { additionalProperties: false },
);
export type TransactionCreate = Static<typeof TransactionCreate>;

export const TransactionUpdate = Type.Partial(Type.Object(writable), {
  additionalProperties: false,
  minProperties: 1,
});
export type TransactionUpdate = Static<typeof TransactionUpdate>;
