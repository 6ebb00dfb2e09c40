import type { ResourceValidation, StackValidation } from '@pulumi/policy';
import type { PolicyMeta, SecureWorkshopPolicy } from './meta';
import { withResourceWaiver, withStackWaivers } from './waivers';

interface PolicySpec extends PolicyMeta {
  /** Stable id: used in waiver annotations, reports and CI expectations. */
  name: string;
  description: string;
}

function common(spec: PolicySpec) {
  return {
    name: spec.name,
    description: spec.description,
    enforcementLevel: 'mandatory' as const,
    severity: 'high' as const,
    remediationSteps: spec.remediation,
    tags: [`owasp-${spec.owaspCategory}`, `control-${spec.control}`],
  };
}

function metaOf(spec: PolicySpec): PolicyMeta {
  return { owaspCategory: spec.owaspCategory, control: spec.control, remediation: spec.remediation };
}

export function defineResourcePolicy(
  spec: PolicySpec & { validateResource: ResourceValidation },
): SecureWorkshopPolicy {
  return {
    policy: { ...common(spec), validateResource: withResourceWaiver(spec.name, spec.validateResource) },
    meta: metaOf(spec),
  };
}

export function defineStackPolicy(
  spec: PolicySpec & { validateStack: StackValidation },
): SecureWorkshopPolicy {
  return {
    policy: { ...common(spec), validateStack: withStackWaivers(spec.name, spec.validateStack) },
    meta: metaOf(spec),
  };
}
