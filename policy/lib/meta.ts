import type { ResourceValidationPolicy, StackValidationPolicy } from '@pulumi/policy';
import type { ControlId, OwaspCategory } from '@secure-workshop/contracts';

/** A policy reports under its control's OWASP category, as the catalog has it: one list, not two. */
export type { OwaspCategory };

/** The catalog's control ids: @secure-workshop/contracts is their one source. */
export { CONTROL_IDS as controlIds, type ControlId } from '@secure-workshop/contracts';

/** What the offline tools print next to a violation. */
export interface PolicyMeta {
  owaspCategory: OwaspCategory;
  control: ControlId;
  remediation: string;
}

/** A CrossGuard policy together with the metadata the tools need. */
export interface SecureWorkshopPolicy {
  policy: ResourceValidationPolicy | StackValidationPolicy;
  meta: PolicyMeta;
}

export function isStackPolicy(policy: SecureWorkshopPolicy['policy']): policy is StackValidationPolicy {
  return 'validateStack' in policy && typeof policy.validateStack === 'function';
}
