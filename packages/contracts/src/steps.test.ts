// The guide's path: every control once, each step valid on its own and after the previous one.
import { describe, expect, it } from 'vitest';
import { CONTROL_IDS } from './controls';
import { GUIDE_ORDER, GUIDE_STEPS, StepError, checkGuideSteps, controlsAtStep } from './steps';

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

  it('refuse a step that does not exist', () => {
    expect(() => controlsAtStep(7)).toThrow(StepError);
    expect(() => controlsAtStep(-1)).toThrow(/from 0 to 6/);
    expect(() => controlsAtStep(1.5)).toThrow(/whole number/);
  });
});
