// The end stack with one control taken away (with the controls that need it): that control's
// policies fire, and nothing else does.
import { describe, expect, it } from 'vitest';
import { deployStack } from '../../infra/stacks/program';
import { CONTROL_IDS, withRequirements, type ControlId } from '@secure-workshop/contracts';
import { runProgram } from '../../infra/testing/mocks';
import { runPolicies } from '../run';
import { policyInputs } from './rendered';

/** The control and every control that requires it, directly or not. */
function removedWith(id: ControlId): ControlId[] {
  return CONTROL_IDS.filter((other) => withRequirements(other).includes(id));
}

describe.each(CONTROL_IDS)('the end stack without %s', (id) => {
  it("fails that control's policies and no others", async () => {
    const removed = removedWith(id);
    const run = await runProgram({
      stack: `without-${id}`,
      config: { 'secure-workshop:controls': CONTROL_IDS.filter((other) => !removed.includes(other)) },
      program: deployStack,
    });
    const violations = await runPolicies(policyInputs(run.resources));
    expect(violations.map((v) => v.control)).toContain(id);
    const elsewhere = violations.filter((v) => !removed.includes(v.control)).map((v) => v.policy);
    expect([...new Set(elsewhere)]).toEqual([]);
  });
});

it('takes the database firewall away with network-policies, which alone stop the API bypassing it', () => {
  expect(removedWith('network-policies')).toEqual(['db-firewall', 'network-policies']);
});
