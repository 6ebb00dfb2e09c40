// docs/guide.md is run by people step by step: every stack and control list it tells them to type
// must exist and be valid, and every step is reached without editing a stack file by hand.
// (Its command blocks are generated from tools/walk/scenarios.ts; tools/walk/guide.test.ts holds them.)
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONTROL_IDS, GUIDE_STEPS } from '@secure-workshop/contracts';
import { K3S_IMAGE, TRAEFIK_VERSION } from '../platform';
import { REPO_ROOT } from '../testing/stack-config';
import { parseControls } from './cli';

const guide = readFileSync(path.join(REPO_ROOT, 'docs', 'guide.md'), 'utf8');
const stackFile = (stack: string) => existsSync(path.join(REPO_ROOT, `Pulumi.${stack}.yaml`));

describe('docs/guide.md', () => {
  it('only uses control lists the catalog accepts (known ids, requirements included)', () => {
    const lists = [...guide.matchAll(/--(?:to-|from-)?controls ([a-z0-9,-]+)/g)]
      .map((m) => m[1] as string)
      .filter((list) => list !== 'a,b'); // the reference table's placeholder
    for (const list of lists) expect(() => parseControls(list), list).not.toThrow();
  });

  it('previews each step with the offline tools on stack files that exist', () => {
    const uses = [...guide.matchAll(/npm run (?:render|diff|check|draw) -- ((?:[a-z0-9]+ ?){1,2})/g)].flatMap(
      (m) => (m[1] as string).trim().split(' '),
    );
    const named = uses.filter((stack) => stack !== 'dev');
    expect(named.length).toBeGreaterThanOrEqual(GUIDE_STEPS.length);
    for (const stack of named) expect(stackFile(stack), `Pulumi.${stack}.yaml`).toBe(true);
    for (const step of GUIDE_STEPS) expect(named, step.stack).toContain(step.stack);
  });

  it('moves the dev stack through every step with `pulumi config set`, no hand edits', () => {
    for (const step of [0, ...GUIDE_STEPS.map((entry) => entry.number)]) {
      expect(guide).toContain(`pulumi config set --stack dev step ${step}`);
    }
    expect(guide).not.toMatch(/cp Pulumi\.\w+\.yaml|edit `?Pulumi\.dev\.yaml/);
  });

  it('walks the OWASP categories in the workshop order and reaches every control', () => {
    const headings = [...guide.matchAll(/^## Step \d+ \((A\d\d|zero trust)[^)]*\): (.*)$/gm)];
    expect(headings.map((m) => m[1])).toEqual(['A01', 'A02', 'A04', 'A05', 'A09', 'zero trust']);
    const introduced = headings.flatMap((m) =>
      [...(m[2] as string).matchAll(/`([a-z0-9-]+)`/g)].map((c) => c[1]),
    );
    expect([...introduced].sort()).toEqual([...CONTROL_IDS].sort());
  });

  it('names the platform the stacks target (infra/platform.ts), not an old one', () => {
    expect(guide).toContain(K3S_IMAGE);
    expect(guide).toContain(`Traefik **${TRAEFIK_VERSION}**`);
    expect(guide).not.toMatch(/v1\.31|Traefik 2/);
  });
});
