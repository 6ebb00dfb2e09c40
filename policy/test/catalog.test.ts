import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONTROL_IDS } from '@secure-workshop/contracts';
import { controlIds } from '../lib/meta';
import { policyMeta, securePolicies } from '../policies';

describe('policy metadata', () => {
  it('takes its control ids from the catalog itself, not from a copy', () => {
    expect(controlIds).toBe(CONTROL_IDS);
  });

  it('names a category, a catalog control and a one-sentence remediation for every policy', () => {
    for (const { policy } of securePolicies) {
      const meta = policyMeta[policy.name];
      expect(meta, policy.name).toBeDefined();
      expect(CONTROL_IDS).toContain(meta?.control);
      expect(meta?.remediation).toMatch(/^[A-Z].*\.$/);
      expect(policy.remediationSteps).toBe(meta?.remediation);
    }
  });

  it('covers every control with at least one policy', () => {
    const covered = new Set(Object.values(policyMeta).map((meta) => meta.control));
    expect([...CONTROL_IDS].filter((id) => !covered.has(id))).toEqual([]);
  });

  it('are listed in the README with the same category and control', () => {
    const readme = readFileSync(path.join(__dirname, '..', 'README.md'), 'utf8');
    const rows = [...readme.matchAll(/^\| `([a-z0-9-]+)` +\| (A\d\d) +\| ([a-z-]+) +\|/gm)].map((m) =>
      m.slice(1, 4).join(' '),
    );
    expect(rows.sort()).toEqual(
      securePolicies.map(({ policy, meta }) => `${policy.name} ${meta.owaspCategory} ${meta.control}`).sort(),
    );
  });
});
