// Runs the real Pulumi program under the recording mocks and hands its resources to the pack.
import { deployStack } from '../../infra/stacks/program';
import { runProgram, type RecordedResource } from '../../infra/testing/mocks';
import { runPolicies, type PolicyInputResource, type Violation } from '../run';

export function policyInputs(resources: readonly RecordedResource[]): PolicyInputResource[] {
  return resources.map((resource) => ({
    type: resource.type,
    name: resource.name,
    urn: resource.urn,
    props: resource.inputs,
    ...(resource.parent ? { parent: resource.parent } : {}),
  }));
}

/** One stack per test file: Pulumi's mock runtime is process-global. */
export async function checkRenderedStack(stack: string): Promise<Violation[]> {
  const run = await runProgram({ stack, program: deployStack });
  return runPolicies(policyInputs(run.resources));
}

/** `policy: object message` lines, easy to read in a failed assertion. */
export function describeViolations(violations: readonly Violation[]): string[] {
  return violations.map((v) => `${v.owaspCategory} ${v.policy}: ${v.message}`);
}
