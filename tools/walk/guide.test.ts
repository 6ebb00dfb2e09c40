// docs/guide.md and the walk share the scenarios: the guide's command blocks are what the generator
// writes from them, and what the walk runs is what the guide shows.
import { readFileSync } from 'node:fs';
import { GUIDE_STEPS, START_STACK } from '@secure-workshop/contracts';
import { describe, expect, it } from 'vitest';
import { GUIDE_FILE, parseWalkArgs } from './cli';
import { clusterCommand } from './commands';
import { renderGuide, updateGuide } from './guide';
import { Redactor } from './report';
import { checkOutcome, isExperiment } from './scenario-types';
import { scenarios } from './scenarios';

describe('docs/guide.md', () => {
  it('is what `npm run walk -- --write-guide` writes from the scenarios', async () => {
    const current = readFileSync(GUIDE_FILE, 'utf8');
    expect(await renderGuide(current, GUIDE_FILE), 'run: npm run walk -- --write-guide').toBe(current);
  });

  it('shows every experiment with its expected result, cluster-only ones labelled', () => {
    const guide = readFileSync(GUIDE_FILE, 'utf8');
    for (const step of scenarios()) {
      for (const item of step.items.filter(isExperiment)) {
        expect(guide, item.title).toContain(clusterCommand(item).split('\n')[0]);
        expect(guide, item.title).toContain(`You should see: ${item.expect.shows}`);
        if (item.clusterOnly) expect(guide).toContain(`_(cluster only: ${item.clusterOnly})_`);
      }
    }
  });

  it('refuses a guide that lost a generated block', () => {
    expect(() => updateGuide('# no blocks\n')).toThrow(/lacks the generated block/);
  });
});

describe('the scenarios', () => {
  it('cover the path: start, then every guide step, in order', () => {
    expect(scenarios().map((step) => step.stack)).toEqual([
      START_STACK,
      ...GUIDE_STEPS.map((step) => step.stack),
    ]);
  });

  it('have titles unique within a step and jq filters the shell can quote', () => {
    for (const step of scenarios()) {
      const titles = step.items.filter(isExperiment).map((item) => item.title);
      expect(new Set(titles).size, `step ${step.number}`).toBe(titles.length);
      for (const item of step.items.filter(isExperiment)) {
        if (item.kind === 'get') expect(item.jq, item.title).not.toContain("'");
        expect(item.expect.match ?? item.expect.absent, item.title).toBeDefined();
      }
    }
  });

  it('judge output by every pattern and the exit status', () => {
    const expect_ = { shows: '', match: [/^a$/m, /^b$/m], absent: /secret/, exit: 'nonzero' as const };
    expect(checkOutcome(expect_, 'a\nb\n', 1)).toBeUndefined();
    expect(checkOutcome(expect_, 'a\n', 1)).toMatch(/expected output matching/);
    expect(checkOutcome(expect_, 'a\nb\nsecret', 1)).toMatch(/must not match/);
    expect(checkOutcome(expect_, 'a\nb', 0)).toMatch(/non-zero/);
  });
});

describe('npm run walk arguments', () => {
  it('takes steps by stack name or number, in path order', () => {
    expect(parseWalkArgs(['--steps', 'step2,start']).steps.map((step) => step.stack)).toEqual([
      'start',
      'step2',
    ]);
    expect(
      parseWalkArgs(['--steps=6', '--cluster', '--stack', 'ci']).steps.map((step) => step.stack),
    ).toEqual(['end']);
  });

  it('refuses an unknown step or flag in one line', () => {
    expect(() => parseWalkArgs(['--steps', 'step9'])).toThrow(/^unknown step 'step9' \(steps: start, step1/);
    expect(() => parseWalkArgs(['--fast'])).toThrow(/unknown argument '--fast'/);
    expect(() => parseWalkArgs(['--stack'])).toThrow(/--stack needs a value/);
  });
});

describe('the output', () => {
  it('never shows a known value, a token or a private key', () => {
    const redactor = new Redactor();
    redactor.add(['hunter2-password', 'short']);
    const text = [
      'password hunter2-password',
      'token eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ3b3Jrc2hvcCJ9.c2ln',
      'firewall SFMyNTY.g2gDaAJt.PiMvRiBW',
      '-----BEGIN PRIVATE KEY-----\nMIGH\n-----END PRIVATE KEY-----',
    ].join('\n');
    const shown = redactor.redact(text);
    expect(shown).not.toMatch(/hunter2|eyJ|SFMyNTY|MIGH/);
    expect(shown).toContain('[secret]');
  });
});
