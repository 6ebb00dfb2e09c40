// The pack's tests judge what the Pulumi program really renders: the real program under the offline
// runtime (infra/testing/mocks.ts), its resources handed over as the engine would hand them.
import { deployStack } from '../../infra/stacks/program';
import { runProgram } from '../../infra/testing/mocks';
import { policyInputs } from '../../infra/testing/objects';
import { runPolicies, type PolicyInputResource, type Violation } from '../run';

export { policyInputs } from '../../infra/testing/objects';

/** Renders a stack file's stack. One stack at a time per test file: Pulumi's mock runtime is process-global. */
export async function renderStack(stack: string): Promise<PolicyInputResource[]> {
  return policyInputs((await runProgram({ stack, program: deployStack })).resources);
}

export async function checkRenderedStack(stack: string): Promise<Violation[]> {
  return runPolicies(await renderStack(stack));
}

/** `policy: object message` lines, easy to read in a failed assertion. */
export function describeViolations(violations: readonly Violation[]): string[] {
  return violations.map((v) => `${v.owaspCategory} ${v.policy}: ${v.message}`);
}
