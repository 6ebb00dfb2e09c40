// Deterministic, workshop-shaped sample data: a seeded PRNG, no clock, no I/O.
export const CURRENCY_WEIGHTS = [
  ['USD', 8],
  ['GBP', 1],
  ['EUR', 1],
] as const;
export type Currency = (typeof CURRENCY_WEIGHTS)[number][0];

// The seed text shows no transaction descriptions; these six purchase kinds stand in for them.
export const PURCHASE_DESCRIPTIONS = [
  'Grocery store purchase',
  'Online marketplace purchase',
  'Restaurant purchase',
  'Fuel station purchase',
  'Electronics store purchase',
  'Travel booking purchase',
] as const;

const FIRST_NAMES = (
  'arnulfo carson selena earnestine maud kendall elmo rosalind dewitt lavina brice marisol ' +
  'osvaldo tressa jovan emmie quincy wilma ignacio petra'
).split(' ');
const LATIN_WORDS = (
  'consectetur et autem ipsam dolor amet quia velit nihil rerum magnam fugit harum optio ' +
  'sequi totam culpa eius minus porro'
).split(' ');
const MAIL_DOMAINS = ['hotmail.com', 'gmail.com', 'yahoo.com', 'example.org'];
const COUNTRIES =
  'NO AR US GB DE FR ES IT NL SE DK FI IE PT PL BR MX CA JP KR IN AU NZ ZA NG EG TR CH AT BE'.split(' ');

/** mulberry32: tiny, fast, and the same sequence everywhere for a given seed. */
export function createRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Random = () => number;
const pick = <T>(random: Random, items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
const integer = (random: Random, min: number, max: number): number =>
  min + Math.floor(random() * (max - min + 1));

function weightedCurrency(random: Random): Currency {
  const total = CURRENCY_WEIGHTS.reduce((sum, [, weight]) => sum + weight, 0);
  let roll = random() * total;
  for (const [currency, weight] of CURRENCY_WEIGHTS) {
    roll -= weight;
    if (roll < 0) return currency;
  }
  return 'USD';
}

function digits(random: Random, count: number): string {
  let out = String(integer(random, 3, 6));
  while (out.length < count) out += String(integer(random, 0, 9));
  return out;
}

function hex(random: Random, count: number): string {
  let out = '';
  while (out.length < count) out += integer(random, 0, 15).toString(16);
  return out;
}

const START_2000 = Date.UTC(2000, 0, 1);
const END_2023 = Date.UTC(2023, 7, 1);

export interface SeedUser {
  id: number;
  credit_card: string;
  currency: Currency;
  email: string;
  is_active: boolean;
  country: string;
  num_logins: number;
  password_hash: string;
  username: string;
  created_at: string;
}

export interface SeedTransaction {
  id: number;
  amount: string;
  currency: Currency;
  description: string;
  timestamp: string;
  user_id: number;
}

export function* generateUsers(random: Random, count: number): Generator<SeedUser> {
  for (let id = 1; id <= count; id += 1) {
    const first = pick(random, FIRST_NAMES);
    const handle = `${pick(random, FIRST_NAMES)}_${pick(random, LATIN_WORDS)}`;
    const createdAt = START_2000 + Math.floor(random() * (END_2023 - START_2000));
    yield {
      id,
      credit_card: digits(random, integer(random, 13, 16)),
      currency: weightedCurrency(random),
      email: `${first}_${pick(random, LATIN_WORDS)}${id}@${pick(random, MAIL_DOMAINS)}`,
      is_active: random() < 0.9,
      country: pick(random, COUNTRIES),
      num_logins: integer(random, 0, 100),
      password_hash: hex(random, 32),
      username: `${handle}${id}`,
      created_at: new Date(createdAt).toISOString(),
    };
  }
}

/** Transactions of existing users (ids 1..userCount); almost all in the owner's currency. */
export function* generateTransactions(
  random: Random,
  count: number,
  userCurrencies: readonly Currency[],
): Generator<SeedTransaction> {
  const start2020 = Date.UTC(2020, 0, 1);
  for (let id = 1; id <= count; id += 1) {
    const userIndex = Math.floor(random() * userCurrencies.length);
    const cents = integer(random, 100, 100_000);
    const mismatch = random() < 0.01;
    yield {
      id,
      amount: `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, '0')}`,
      currency: mismatch ? weightedCurrency(random) : (userCurrencies[userIndex] as Currency),
      description: pick(random, PURCHASE_DESCRIPTIONS),
      timestamp: new Date(start2020 + Math.floor(random() * (END_2023 - start2020))).toISOString(),
      user_id: userIndex + 1,
    };
  }
}
