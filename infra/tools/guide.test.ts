// docs/guide.md is run by people step by step: every control list it tells them to type must be valid.
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONTROL_IDS } from '@secure-workshop/contracts';
import { REPO_ROOT } from '../testing/stack-config';
import { parseControls } from './cli';

const guide = readFileSync(path.join(REPO_ROOT, 'docs', 'guide.md'), 'utf8');

describe('docs/guide.md', () => {
  it('only uses control lists the catalog accepts (known ids, requirements included)', () => {
    const lists = [...guide.matchAll(/--(?:to-|from-)?controls ([a-z0-9,-]+)/g)]
      .map((m) => m[1] as string)
      .filter((list) => list !== 'a,b'); // the reference table's placeholder
    expect(lists.length).toBeGreaterThanOrEqual(8);
    for (const list of lists) expect(() => parseControls(list), list).not.toThrow();
  });

  it('walks the OWASP categories in the workshop order and reaches every control', () => {
    const headings = [...guide.matchAll(/^## Step \d+ \((A\d\d|zero trust)[^)]*\): (.*)$/gm)];
    expect(headings.map((m) => m[1])).toEqual(['A01', 'A02', 'A04', 'A05', 'A09', 'zero trust']);
    const introduced = headings.flatMap((m) =>
      [...(m[2] as string).matchAll(/`([a-z0-9-]+)`/g)].map((c) => c[1]),
    );
    expect([...introduced].sort()).toEqual([...CONTROL_IDS].sort());
  });
});
