// The guide's path as stack files: one per step, each a valid list that includes the previous one.
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { CONTROL_IDS, resolveControls } from './controls';
import {
  END_STACK,
  GUIDE_ORDER,
  GUIDE_STEPS,
  LAST_STEP,
  START_STACK,
  StepError,
  checkGuideSteps,
  controlsAtStep,
  stepStacks,
} from './steps';

const root = path.resolve(__dirname, '..', '..');
function stackControls(stack: string): string[] {
  const file = parse(readFileSync(path.join(root, `Pulumi.${stack}.yaml`), 'utf8')) as {
    config: Record<string, unknown>;
  };
  return (file.config['secure-workshop:controls'] as string[] | undefined) ?? [];
}

describe('the guide steps', () => {
  it('add every control once, each after what it requires, in the OWASP order of the workshop', () => {
    expect(() => checkGuideSteps()).not.toThrow();
    expect([...GUIDE_ORDER].sort()).toEqual([...CONTROL_IDS].sort());
    expect(GUIDE_STEPS.map((step) => step.theme)).toEqual(['A01', 'A02', 'A04', 'A05', 'A09', 'zero trust']);
    expect(() =>
      checkGuideSteps([{ number: 1, stack: 's', theme: 'A04', title: 't', adds: ['db-firewall'] }]),
    ).toThrow(/"db-firewall" requires "db-tls"/);
    expect(() => checkGuideSteps(GUIDE_STEPS.slice(0, 2))).toThrow(/the guide never adds/);
  });

  it('have a stack file each, start to end, each holding the previous one', () => {
    expect(stepStacks()).toEqual([START_STACK, 'step1', 'step2', 'step3', 'step4', 'step5', END_STACK]);
    let previous: string[] = [];
    for (const [number, stack] of stepStacks().entries()) {
      const controls = stackControls(stack);
      expect(resolveControls(controls), stack).toEqual(controlsAtStep(number));
      for (const id of previous) expect(controls, `${stack} keeps ${id}`).toContain(id);
      previous = controls;
    }
    expect(controlsAtStep(LAST_STEP)).toEqual([...CONTROL_IDS]);
  });

  it('refuse a step that does not exist', () => {
    expect(() => controlsAtStep(7)).toThrow(StepError);
    expect(() => controlsAtStep(-1)).toThrow(/from 0 to 6/);
    expect(() => controlsAtStep(1.5)).toThrow(/whole number/);
  });
});
