import { ReconcilerError } from './errors.js';

// numeric(14,2): up to 12 integer digits and 2 decimals, so one amount is at most 99,999,999,999,999
// cents, a safe integer; exponent forms are not money.
const MAX_WHOLE_DIGITS = 12;
const MAX_FRACTION_DIGITS = 2;
const MINUS = 45;
const DOT = 46;
const ZERO = 48;

/**
 * Parses a decimal amount ("12.34", "-5", 7.5) into integer cents, never through a float sum.
 * Hand-rolled (no regex, no BigInt): it runs once per transaction, millions of times per run.
 */
export function parseCents(value: unknown): number {
  const text = typeof value === 'number' && Number.isFinite(value) ? String(value) : value;
  if (typeof text !== 'string') {
    throw new ReconcilerError(`amount ${JSON.stringify(value)} is not a decimal string`, 'malformed-page');
  }
  const cents = centsOf(text);
  if (cents === undefined) {
    throw new ReconcilerError(
      `amount ${JSON.stringify(text).slice(0, 40)} is not a decimal with at most 2 decimals`,
      'malformed-page',
    );
  }
  return cents;
}

/** The cents of `-?\d{1,12}(\.\d{1,2})?`, or undefined for anything else. */
function centsOf(text: string): number | undefined {
  const length = text.length;
  const negative = length > 0 && text.charCodeAt(0) === MINUS;
  let i = negative ? 1 : 0;
  let whole = 0;
  const wholeStart = i;
  for (let digit = text.charCodeAt(i) - ZERO; i < length && digit >= 0 && digit <= 9;) {
    whole = whole * 10 + digit;
    i += 1;
    digit = text.charCodeAt(i) - ZERO;
  }
  const wholeDigits = i - wholeStart;
  if (wholeDigits < 1 || wholeDigits > MAX_WHOLE_DIGITS) return undefined;
  let fraction = 0;
  if (i < length) {
    if (text.charCodeAt(i) !== DOT) return undefined;
    i += 1;
    const fractionStart = i;
    for (let digit = text.charCodeAt(i) - ZERO; i < length && digit >= 0 && digit <= 9;) {
      fraction = fraction * 10 + digit;
      i += 1;
      digit = text.charCodeAt(i) - ZERO;
    }
    const fractionDigits = i - fractionStart;
    if (i < length || fractionDigits < 1 || fractionDigits > MAX_FRACTION_DIGITS) return undefined;
    if (fractionDigits === 1) fraction *= 10;
  }
  const cents = whole * 100 + fraction;
  // 0 - 0 is +0: "-0.00" must not become -0.
  return negative ? 0 - cents : cents;
}

/**
 * An exact sum of integer cents: a Number while the running total stays a safe integer (no
 * allocation per addition), moved into a BigInt before it would overflow.
 */
export class CentsSum {
  private small = 0;
  private big = 0n;

  add(cents: number): void {
    const next = this.small + cents;
    // Both operands are safe integers, so a safe result is exact and an unsafe one is detected.
    if (Number.isSafeInteger(next)) this.small = next;
    else {
      this.big += BigInt(this.small);
      this.small = cents;
    }
  }

  get total(): bigint {
    return this.big + BigInt(this.small);
  }
}

/** Formats integer cents as the API's decimal string ("-0.05", "1234.50"). */
export function formatCents(value: bigint | number): string {
  const cents = BigInt(value);
  const negative = cents < 0n;
  const abs = negative ? -cents : cents;
  const whole = abs / 100n;
  const fraction = (abs % 100n).toString().padStart(2, '0');
  return `${negative ? '-' : ''}${whole}.${fraction}`;
}
