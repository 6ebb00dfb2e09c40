import { describe, expect, it } from 'vitest';
import { CentsSum, formatCents, parseCents } from '../src/money.js';

describe('parseCents', () => {
  it.each([
    ['12.34', 1234],
    ['12.3', 1230],
    ['12', 1200],
    ['0.05', 5],
    ['-0.05', -5],
    ['-12.30', -1230],
    ['999999999999.99', 99999999999999],
    [7.5, 750],
    [0.1, 10],
    ['-0.00', 0],
    ['0', 0],
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
    ['12.'],
    ['.5'],
    ['-'],
    ['--1'],
    ['+1'],
    ['1.2.3'],
    ['1 '],
    ['12a'],
  ])('rejects %j', (input) => {
    expect(() => parseCents(input)).toThrow(/amount/);
  });

  it('sums exactly where floats drift', () => {
    const sum = new CentsSum();
    for (let i = 0; i < 10; i += 1) sum.add(parseCents('0.10'));
    expect(formatCents(sum.total)).toBe('1.00');
    expect(Array.from({ length: 10 }, () => 0.1).reduce((a, b) => a + b, 0)).not.toBe(1);
  });
});

describe('CentsSum', () => {
  it('stays exact past Number.MAX_SAFE_INTEGER by moving into a BigInt', () => {
    const sum = new CentsSum();
    const max = parseCents('999999999999.99');
    const n = 200;
    for (let i = 0; i < n; i += 1) sum.add(max);
    sum.add(parseCents('-0.01'));
    const expected = BigInt(max) * BigInt(n) - 1n;
    expect(expected > BigInt(Number.MAX_SAFE_INTEGER)).toBe(true);
    expect(sum.total).toBe(expected);
    expect(formatCents(sum.total)).toBe('199999999999997.99');
  });

  it('sums negative amounts exactly around the lower bound too', () => {
    const sum = new CentsSum();
    for (let i = 0; i < 100; i += 1) sum.add(-99999999999999);
    sum.add(5);
    expect(sum.total).toBe(-9999999999999900n + 5n);
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
    [-5, '-0.05'],
    [1234, '12.34'],
  ])('formats %s as %s', (cents, text) => {
    expect(formatCents(cents)).toBe(text);
  });
});
