import type { ResourceValidationPolicy, StackValidationPolicy } from '@pulumi/policy';
import type { ControlId } from '../../infra/stacks/controls';

/** OWASP Top 10 (2021) categories the pack reports under. */
export const owaspCategories = ['A01', 'A02', 'A04', 'A05', 'A07', 'A09'] as const;
export type OwaspCategory = (typeof owaspCategories)[number];

/** The catalog's control ids: infra/stacks/controls.ts is their one source. */
export { CONTROL_IDS as controlIds, type ControlId } from '../../infra/stacks/controls';

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
