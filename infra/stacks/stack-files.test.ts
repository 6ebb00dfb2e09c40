// The guide's path as stack files: one per step, each a valid list that includes the previous one.
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import {
  CONTROL_IDS,
  END_STACK,
  LAST_STEP,
  START_STACK,
  controlsAtStep,
  resolveControls,
  stepStacks,
} from '@secure-workshop/contracts';

const root = path.resolve(__dirname, '..', '..');
function stackControls(stack: string): string[] {
  const file = parse(readFileSync(path.join(root, `Pulumi.${stack}.yaml`), 'utf8')) as {
    config: Record<string, unknown>;
  };
  return (file.config['secure-workshop:controls'] as string[] | undefined) ?? [];
}

describe('the stack files of the guide', () => {
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
});
