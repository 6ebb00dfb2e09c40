import type { ResourceValidation, StackValidation } from '@pulumi/policy';
import { getControl } from '@secure-workshop/contracts';
import type { PolicyMeta, SecureWorkshopPolicy } from './meta';
import { withResourceWaiver, withStackWaivers } from './waivers';

interface PolicySpec extends Omit<PolicyMeta, 'owaspCategory'> {
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
    tags: [`owasp-${getControl(spec.control).owasp}`, `control-${spec.control}`],
  };
}

function metaOf(spec: PolicySpec): PolicyMeta {
  return {
    owaspCategory: getControl(spec.control).owasp,
    control: spec.control,
    remediation: spec.remediation,
  };
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
