import { describe, expect, it } from 'vitest';
import { formatCents, parseCents } from '../src/money.js';

describe('parseCents', () => {
  it.each([
    ['12.34', 1234n],
    ['12.3', 1230n],
    ['12', 1200n],
    ['0.05', 5n],
    ['-0.05', -5n],
    ['-12.30', -1230n],
    ['999999999999.99', 99999999999999n],
    [7.5, 750n],
    [0.1, 10n],
  ])('parses %j as %s cents', (input, cents) => {
    expect(parseCents(input)).toBe(cents);
  });

  it.each([
    ['1.234'],
    ['1e3'],
    [''],
    [' 1.00'],
    ['1,00'],
    ['0x10'],
    ['NaN'],
    [null],
    [true],
    [1e21],
    [Infinity],
    ['1234567890123.00'],
  ])('rejects %j', (input) => {
    expect(() => parseCents(input)).toThrow(/amount/);
  });

  it('sums exactly where floats drift', () => {
    const cents = Array.from({ length: 10 }, () => parseCents('0.10')).reduce((a, b) => a + b, 0n);
    expect(formatCents(cents)).toBe('1.00');
    expect(Array.from({ length: 10 }, () => 0.1).reduce((a, b) => a + b, 0)).not.toBe(1);
  });
});

describe('formatCents', () => {
  it.each([
    [0n, '0.00'],
    [5n, '0.05'],
    [-5n, '-0.05'],
    [1234n, '12.34'],
    [-123400n, '-1234.00'],
    [12345678901234567890n, '123456789012345678.90'],
  ])('formats %s as %s', (cents, text) => {
    expect(formatCents(cents)).toBe(text);
  });
});
