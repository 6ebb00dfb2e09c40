import { ReconcilerError } from './errors.js';

// numeric(14,2): up to 12 integer digits and 2 decimals; exponent forms are not money.
const DECIMAL = /^(-?)(\d{1,12})(?:\.(\d{1,2}))?$/;

/** Parses a decimal amount ("12.34", "-5", 7.5) into integer cents, never through a float sum. */
export function parseCents(value: unknown): bigint {
  const text = typeof value === 'number' && Number.isFinite(value) ? String(value) : value;
  if (typeof text !== 'string') {
    throw new ReconcilerError(`amount ${JSON.stringify(value)} is not a decimal string`, 'malformed-page');
  }
  const match = DECIMAL.exec(text);
  if (!match) {
    throw new ReconcilerError(
      `amount ${JSON.stringify(text).slice(0, 40)} is not a decimal with at most 2 decimals`,
      'malformed-page',
    );
  }
  const [, sign, whole, fraction = ''] = match;
  const cents = BigInt(whole ?? '0') * 100n + BigInt(fraction.padEnd(2, '0'));
  return sign === '-' ? -cents : cents;
}

/** Formats integer cents as the API's decimal string ("-0.05", "1234.50"). */
export function formatCents(cents: bigint): string {
  const negative = cents < 0n;
  const abs = negative ? -cents : cents;
  const whole = abs / 100n;
  const fraction = (abs % 100n).toString().padStart(2, '0');
  return `${negative ? '-' : ''}${whole}.${fraction}`;
}
