import type {
  PolicyResource,
  PolicyResourceOptions,
  ReportViolation,
  ResourceValidationArgs,
  ResourceValidationPolicy,
  StackValidationArgs,
} from '@pulumi/policy';
import type { Resource } from '@pulumi/pulumi';
import { isStackPolicy, type OwaspCategory, type ControlId, type SecureWorkshopPolicy } from './lib/meta';
import { asRecord, type PropertyBag } from './lib/values';
import { securePolicies } from './policies';

/** One resource as the offline tools record it (inputs of a Kubernetes object are its props). */
export interface PolicyInputResource {
  type: string;
  name: string;
  urn: string;
  props: Record<string, unknown>;
  /** URN of the parent resource, if any. */
  parent?: string;
  opts?: Partial<PolicyResourceOptions>;
}

export interface Violation {
  policy: string;
  owaspCategory: OwaspCategory;
  control: ControlId;
  remediation: string;
  enforcementLevel: 'mandatory' | 'advisory';
  /** The object in violation; absent when the stack as a whole is. */
  urn?: string;
  message: string;
}

export interface RunOptions {
  /** Defaults to every policy of the pack. */
  policies?: readonly SecureWorkshopPolicy[];
}

class NotApplicable extends Error {}

// Pulumi's serialized secret marker (the runtime's `specialSigKey` / `specialSecretSig`).
const secretSigKey = '4dabf18193072939515e22adb298388d';
const secretSig = '1b47061264138c4ac30d75fd1eb44270';

/** Secrets reach policies as plain values under the CLI too, so the offline run unwraps them. */
export function unwrapSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(unwrapSecrets);
  const record = asRecord(value);
  if (!record) return value;
  if (record[secretSigKey] === secretSig) return unwrapSecrets(record.value);
  return Object.fromEntries(Object.entries(record).map(([key, item]) => [key, unwrapSecrets(item)]));
}

function isTypeOf(type: string, resourceClass: unknown): boolean {
  const candidate = resourceClass as { __pulumiType?: unknown; isInstance?: (obj: unknown) => boolean };
  if (typeof candidate.__pulumiType === 'string' && candidate.__pulumiType !== '') {
    return candidate.__pulumiType === type;
  }
  return typeof candidate.isInstance === 'function' && candidate.isInstance({ __pulumiType: type }) === true;
}

function optionsOf(resource: PolicyInputResource): PolicyResourceOptions {
  return {
    protect: false,
    ignoreChanges: [],
    aliases: [],
    customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
    additionalSecretOutputs: [],
    ...(resource.parent ? { parent: resource.parent } : {}),
    ...resource.opts,
  };
}

const notApplicable = (reason?: string): never => {
  throw new NotApplicable(reason);
};

function resourceArgs(resource: PolicyInputResource, props: PropertyBag): ResourceValidationArgs {
  return {
    type: resource.type,
    props,
    urn: resource.urn,
    name: resource.name,
    opts: optionsOf(resource),
    stackTags: new Map(),
    isType: <T extends Resource>(resourceClass: new (...rest: never[]) => T) =>
      isTypeOf(resource.type, resourceClass),
    asType: ((resourceClass: unknown) =>
      isTypeOf(resource.type, resourceClass) ? props : undefined) as ResourceValidationArgs['asType'],
    getConfig: <T extends object>() => ({}) as T,
    notApplicable,
  };
}

function stackArgs(
  resources: readonly PolicyInputResource[],
  props: readonly PropertyBag[],
): StackValidationArgs {
  const policyResources: PolicyResource[] = resources.map((resource, index) => {
    const resourceProps = props[index] ?? {};
    return {
      type: resource.type,
      props: resourceProps,
      urn: resource.urn,
      name: resource.name,
      opts: optionsOf(resource),
      dependencies: [],
      propertyDependencies: {},
      isType: <T extends Resource>(resourceClass: new (...rest: never[]) => T) =>
        isTypeOf(resource.type, resourceClass),
      asType: ((resourceClass: unknown) =>
        isTypeOf(resource.type, resourceClass) ? resourceProps : undefined) as PolicyResource['asType'],
    };
  });
  const byUrn = new Map(policyResources.map((resource) => [resource.urn, resource]));
  resources.forEach((resource, index) => {
    const parent = resource.parent ? byUrn.get(resource.parent) : undefined;
    const target = policyResources[index];
    if (parent && target) target.parent = parent;
  });
  return {
    resources: policyResources,
    stackTags: new Map(),
    getConfig: <T extends object>() => ({}) as T,
    notApplicable,
  };
}

async function guarded(run: () => void | Promise<void>): Promise<void> {
  try {
    await run();
  } catch (error) {
    if (!(error instanceof NotApplicable)) throw error;
  }
}

/**
 * Runs the pack's policies over recorded resources the way the Pulumi engine would: every resource
 * policy on every resource, then every stack policy on the whole stack.
 */
export async function runPolicies(
  resources: readonly PolicyInputResource[],
  options: RunOptions = {},
): Promise<Violation[]> {
  const policies = options.policies ?? securePolicies;
  const props = resources.map((resource) => (asRecord(unwrapSecrets(resource.props)) ?? {}) as PropertyBag);
  const violations: Violation[] = [];
  for (const { policy, meta } of policies) {
    const report =
      (defaultUrn: string | undefined): ReportViolation =>
      (message, urn) => {
        const target = defaultUrn ?? urn;
        violations.push({
          policy: policy.name,
          ...meta,
          enforcementLevel: policy.enforcementLevel === 'mandatory' ? 'mandatory' : 'advisory',
          ...(target ? { urn: target } : {}),
          message,
        });
      };
    if (isStackPolicy(policy)) {
      await guarded(() => policy.validateStack(stackArgs(resources, props), report(undefined)));
      continue;
    }
    const validations = [(policy as ResourceValidationPolicy).validateResource ?? []].flat();
    for (const [index, resource] of resources.entries()) {
      const args = resourceArgs(resource, props[index] ?? {});
      for (const validate of validations) {
        await guarded(() => validate(args, report(resource.urn)));
      }
    }
  }
  return violations;
}
