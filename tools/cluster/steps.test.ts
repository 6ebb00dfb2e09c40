// The ordered steps of the check, from the stack files: add-ons, start, step1..stepN, end.
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from './controlplane';
import { type StackConfig, checkSteps, renderError, selectSteps, stackFiles } from './steps';

const stacks = new Map<string, StackConfig>([
  ['end', { 'secure-workshop:controls': ['a', 'b', 'c'] }],
  ['step10', { 'secure-workshop:controls': ['a', 'b'] }],
  ['start', { 'secure-workshop:controls': [] }],
  ['step2', { 'secure-workshop:controls': ['a'] }],
  ['addons', { 'secure-workshop:clusterAddons': 'own' }],
  ['mine', undefined],
]);

describe('checkSteps', () => {
  it("puts the add-ons first, then start, the guide steps by number and end as the guide's dev stack", () => {
    const as = ['--stack-name', 'dev'];
    expect(checkSteps(stacks)).toEqual([
      { name: 'addons', stack: 'addons', renderArgs: ['addons'] },
      { name: 'start', stack: 'dev', renderArgs: ['start', ...as] },
      { name: 'step2', stack: 'dev', renderArgs: ['step2', ...as] },
      { name: 'step10', stack: 'dev', renderArgs: ['step10', ...as] },
      { name: 'end', stack: 'dev', renderArgs: ['end', ...as] },
    ]);
  });

  it("finds the repository's own stacks, start first and end last", () => {
    const names = checkSteps(stackFiles(REPO_ROOT))
      .filter((step) => step.stack === 'dev')
      .map((step) => step.name);
    expect(names[0]).toBe('start');
    expect(names.at(-1)).toBe('end');
  });
});

describe('selectSteps', () => {
  const steps = checkSteps(stacks);
  it('keeps the named steps in path order and refuses unknown names', () => {
    expect(selectSteps(steps, 'end,start').map((s) => s.name)).toEqual(['start', 'end']);
    expect(() => selectSteps(steps, 'start,nope')).toThrow(
      /unknown step nope \(steps: addons, start, step2, step10, end\)/,
    );
  });
});

describe('renderError', () => {
  it("quotes render's own error line, or the Error a crash threw, not Node's version banner", () => {
    expect(renderError('error: unknown control x\n')).toBe('error: unknown control x');
    const crash =
      "node:internal/modules/cjs/loader:1564\n  throw err;\n\nError: Cannot find module 'x'\n    at f\n\nNode.js v24.21.0\n";
    expect(renderError(crash)).toBe("Error: Cannot find module 'x'");
  });
});
