import { describe, expect, it } from 'vitest';
import { parseNextLink } from '../src/link.js';

const base = 'https://api.example:8443/transactions?limit=2';

describe('parseNextLink', () => {
  it('returns undefined without a header or without rel=next', () => {
    expect(parseNextLink(undefined, base)).toBeUndefined();
    expect(
      parseNextLink('<https://api.example:8443/transactions?after=2>; rel="prev"', base),
    ).toBeUndefined();
    expect(parseNextLink('', base)).toBeUndefined();
  });

  it('finds rel=next quoted or bare, among other relations', () => {
    expect(parseNextLink('<https://api.example:8443/transactions?limit=2&after=2>; rel="next"', base)).toBe(
      'https://api.example:8443/transactions?limit=2&after=2',
    );
    expect(parseNextLink('</t?after=1>; rel=prev, </t?after=3>; rel=next', base)).toBe(
      'https://api.example:8443/t?after=3',
    );
    expect(
      parseNextLink('</t?after=3>; title="a, b; rel=next"; rel="last", </u>; REL="prefetch next"', base),
    ).toBe('https://api.example:8443/u');
  });

  it('keeps commas inside the URL and resolves relative targets against the page', () => {
    expect(parseNextLink('<?limit=2&fields=id,amount&after=4>; rel="next"', base)).toBe(
      'https://api.example:8443/transactions?limit=2&fields=id,amount&after=4',
    );
  });

  it('reads a header given as several values', () => {
    expect(parseNextLink(['</a>; rel="first"', '</b>; rel="next"'], base)).toBe('https://api.example:8443/b');
  });
});
