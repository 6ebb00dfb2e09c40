// Test helpers over recorded stacks: run a control set, find objects, walk pod templates, diff two runs.
import { type ControlId } from '@secure-workshop/contracts';
import { deployStack } from '../stacks/program';
import { type ProgramRun, type RecordedResource, runProgram } from './mocks';
import {
  asKubernetesObject,
  findObject,
  type KubernetesObject,
  kubernetesObjects,
  objectName,
  podTemplateOf,
  WORKLOAD_KINDS,
} from './objects';
import { CONTROLS_KEY } from './stack-config';

export { controlsOf } from './objects';

interface Container {
  name: string;
  image: string;
  env?: { name: string; value?: string; valueFrom?: unknown }[];
  [field: string]: unknown;
}

export interface PodSpec {
  containers: Container[];
  volumes?: { name: string; [field: string]: unknown }[];
  securityContext?: Record<string, unknown>;
  automountServiceAccountToken?: boolean;
  serviceAccountName?: string;
  [field: string]: unknown;
}

/** Runs the real program for `stack` with the stack file's config, or with the given controls. */
export function runStack(stack: string, controls?: readonly ControlId[]): Promise<ProgramRun> {
  const config = controls === undefined ? undefined : { [CONTROLS_KEY]: [...controls] };
  return runProgram({ stack, ...(config === undefined ? {} : { config }), program: deployStack });
}

export function kind(resource: RecordedResource): string {
  return resource.type.slice(resource.type.lastIndexOf(':') + 1);
}

export function maybeObject(run: ProgramRun, kindName: string, name: string): KubernetesObject | undefined {
  const found = findObject(kubernetesObjects(run.resources), kindName, name);
  return found === undefined ? undefined : asKubernetesObject(found);
}

export function object(run: ProgramRun, kindName: string, name: string): KubernetesObject {
  const found = maybeObject(run, kindName, name);
  if (!found) throw new Error(`no ${kindName} ${name} in the recorded stack`);
  return found;
}

/** The pod spec of a Deployment, StatefulSet, Job or CronJob. */
export function podSpec(workload: KubernetesObject): PodSpec {
  return podTemplateOf(workload).spec as PodSpec;
}

export function workloads(run: ProgramRun): { name: string; kind: string; object: KubernetesObject }[] {
  return kubernetesObjects(run.resources)
    .filter((resource) => WORKLOAD_KINDS.includes(kind(resource)))
    .map((resource) => ({
      name: objectName(resource) ?? resource.name,
      kind: kind(resource),
      object: resource.inputs as KubernetesObject,
    }));
}

export function envOf(
  workload: KubernetesObject,
  container = 0,
): Map<string, { value?: string; valueFrom?: unknown }> {
  const env = podSpec(workload).containers[container]?.env ?? [];
  return new Map(env.map((variable) => [variable.name, variable]));
}

/** PEM blocks and generated values differ between runs; compare objects without them. */
function normalize(value: unknown): unknown {
  return JSON.parse(
    JSON.stringify(value ?? null).replace(/-----BEGIN [^-]+-----[^-]+-----END [^-]+-----(?:\\n)?/g, '<pem>'),
  ) as unknown;
}

export interface StackDiff {
  added: RecordedResource[];
  removed: RecordedResource[];
  changed: RecordedResource[];
}

/** Kubernetes objects added, removed or changed from `before` to `after`, keyed by kind and name. */
export function diffKubernetesObjects(before: ProgramRun, after: ProgramRun): StackDiff {
  const key = (resource: RecordedResource) => `${kind(resource)}/${objectName(resource) ?? resource.name}`;
  const beforeMap = new Map(kubernetesObjects(before.resources).map((resource) => [key(resource), resource]));
  const afterMap = new Map(kubernetesObjects(after.resources).map((resource) => [key(resource), resource]));
  const diff: StackDiff = { added: [], removed: [], changed: [] };
  for (const [name, resource] of afterMap) {
    const previous = beforeMap.get(name);
    if (!previous) diff.added.push(resource);
    else if (
      JSON.stringify(normalize(previous.redactedInputs)) !==
      JSON.stringify(normalize(resource.redactedInputs))
    ) {
      diff.changed.push(resource);
    }
  }
  for (const [name, resource] of beforeMap) if (!afterMap.has(name)) diff.removed.push(resource);
  return diff;
}
