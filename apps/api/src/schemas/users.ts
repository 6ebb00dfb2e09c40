// User resource schemas: what may be written (allow-list) and what may be read (firewall shapes included).
import { Type, type Static } from 'typebox';
import { Currency, Id, MAX_INT, PageQuery, noNul } from './common.js';

/** The users table's columns, in table order (the seed fills every one). */
export const USER_COLUMNS = [
  'id',
  'credit_card',
  'currency',
  'email',
  'is_active',
  'country',
  'num_logins',
  'password_hash',
  'username',
  'created_at',
] as const;

/** What the API reads and answers with: every column but password_hash, which never leaves the API. */
export const USER_FIELDS = USER_COLUMNS.filter(
  (column): column is Exclude<(typeof USER_COLUMNS)[number], 'password_hash'> => column !== 'password_hash',
);
export type UserField = (typeof USER_FIELDS)[number];

/** A card number as the API shows it: never more than its last four digits. */
export const MASKED_CARD_PATTERN = '^(\\*{12}[0-9]{4}|\\*{16}|jumpwire_[A-Za-z0-9+/=_-]+)$';

export const User = Type.Object(
  {
    id: Id,
    credit_card: Type.Optional(
      Type.String({
        pattern: MASKED_CARD_PATTERN,
        description:
          'Masked: 12 asterisks and the last 4 digits (16 asterisks when the stored value is not a card number); behind the database firewall the jumpwire_... ciphertext the API receives instead',
      }),
    ),
    currency: Type.Optional(Currency),
    email: Type.Optional(Type.String()),
    is_active: Type.Optional(Type.Boolean()),
    country: Type.Optional(Type.String()),
    num_logins: Type.Optional(Type.Integer()),
    username: Type.Optional(Type.String()),
    created_at: Type.Optional(Type.String({ format: 'date-time' })),
  },
  {
    description:
      'Only id is always present: ?fields= selects the rest. password_hash can be written but is never returned.',
  },
);
export type User = Static<typeof User>;

export const UserList = Type.Array(User);

export const UserListQuery = PageQuery(USER_FIELDS, {});

const writable = {
  credit_card: Type.String({ pattern: '^[0-9]{12,19}$', description: '12-19 digits' }),
  currency: Currency,
  email: Type.String({ minLength: 3, maxLength: 254, pattern: '^[^@\\s\\u0000]+@[^@\\s\\u0000]+$' }),
  is_active: Type.Boolean(),
  country: Type.String({ pattern: '^[A-Z]{2}$', description: 'ISO 3166-1 alpha-2' }),
  num_logins: Type.Integer({ minimum: 0, maximum: MAX_INT }),
  password_hash: Type.String({ minLength: 1, maxLength: 256, pattern: noNul }),
  username: Type.String({ minLength: 1, maxLength: 64, pattern: noNul }),
};

export const UserCreate = Type.Object(
  {
    credit_card: writable.credit_card,
    currency: writable.currency,
    email: writable.email,
    is_active: Type.Optional(writable.is_active),
    country: writable.country,
    num_logins: Type.Optional(writable.num_logins),
    password_hash: Type.Optional(writable.password_hash),
    username: writable.username,
  },
  { additionalProperties: false },
);
export type UserCreate = Static<typeof UserCreate>;

export const UserUpdate = Type.Partial(Type.Object(writable), {
  additionalProperties: false,
  minProperties: 1,
});
export type UserUpdate = Static<typeof UserUpdate>;
