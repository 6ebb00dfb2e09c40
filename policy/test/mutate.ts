// Finding an object of a rendered stack and breaking one thing in it, as a mistake in the program would.
import type { PolicyInputResource } from '../run';

type Props = Record<string, unknown>;

/** The namespace of the end stack's own objects. */
export const END_NAMESPACE = 'workshop-end';

/** The Kubernetes object of this kind (`Deployment`) and metadata.name; fails loudly when missing. */
export function object(
  stack: readonly PolicyInputResource[],
  kind: string,
  name: string,
): PolicyInputResource {
  const found = stack.find(
    (r) => r.type.endsWith(`:${kind}`) && (r.props.metadata as Props | undefined)?.name === name,
  );
  if (!found) throw new Error(`the rendered stack has no ${kind} ${name}`);
  return found;
}

/** A resource that is no Kubernetes object (a generator, a Helm release) by its Pulumi name. */
export function named(stack: readonly PolicyInputResource[], name: string): PolicyInputResource {
  const found = stack.find((r) => r.name === name);
  if (!found) throw new Error(`the rendered stack has no resource named ${name}`);
  return found;
}

/** Removes the Kubernetes object of this kind and name from the stack. */
export function remove(stack: PolicyInputResource[], kind: string, name: string): void {
  stack.splice(stack.indexOf(object(stack, kind, name)), 1);
}

/** The `spec` of an object, for mutation. */
export function specOf(resource: PolicyInputResource): Props {
  return resource.props.spec as Props;
}

export function podSpecOf(workload: PolicyInputResource): Props {
  const spec = specOf(workload);
  const pod = ((spec.jobTemplate as Props | undefined)?.spec as Props | undefined)?.template ?? spec.template;
  return (pod as Props).spec as Props;
}

/** The first container of a workload, for mutation. */
export function firstContainer(workload: PolicyInputResource): Props {
  const first = (podSpecOf(workload).containers as Props[])[0];
  if (!first) throw new Error(`${workload.name} has no container`);
  return first;
}

/** Sets (or with `undefined` removes) an env variable of the first container, as a literal. */
export function setEnv(workload: PolicyInputResource, name: string, value: string | undefined): void {
  const container = firstContainer(workload);
  const env = ((container.env ?? []) as Array<{ name: string }>).filter((entry) => entry.name !== name);
  container.env = value === undefined ? env : [...env, { name, value }];
}

/** A hand-made resource, for what the rendered stack never has (a cluster-admin binding). */
export function resource(type: string, name: string, props: Props): PolicyInputResource {
  const kind = type.split(':').pop() ?? type;
  return { type, name, urn: `urn:pulumi:test::secure-workshop::${type}::${name}`, props: { kind, ...props } };
}
