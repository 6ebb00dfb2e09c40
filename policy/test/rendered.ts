// Runs the real Pulumi program under the recording mocks and hands its resources to the pack.
import { deployStack } from '../../infra/stacks/program';
import { runProgram } from '../../infra/testing/mocks';
import { policyInputs } from '../../infra/testing/objects';
import { runPolicies, type Violation } from '../run';

export { policyInputs } from '../../infra/testing/objects';

/** One stack per test file: Pulumi's mock runtime is process-global. */
export async function checkRenderedStack(stack: string): Promise<Violation[]> {
  const run = await runProgram({ stack, program: deployStack });
  return runPolicies(policyInputs(run.resources));
}

/** `policy: object message` lines, easy to read in a failed assertion. */
export function describeViolations(violations: readonly Violation[]): string[] {
  return violations.map((v) => `${v.owaspCategory} ${v.policy}: ${v.message}`);
}
