import type { ResourceValidationPolicy, StackValidationPolicy } from '@pulumi/policy';

/** OWASP Top 10 (2021) categories the pack reports under. */
export const owaspCategories = ['A01', 'A02', 'A04', 'A05', 'A07', 'A09'] as const;
export type OwaspCategory = (typeof owaspCategories)[number];

/** Control ids of the catalog in infra/stacks/controls.ts (a test keeps the two lists equal). */
export const controlIds = [
  'authn-jwt',
  'authz-scopes',
  'tls-in-transit',
  'db-tls',
  'db-firewall',
  'api-gateway',
  'security-headers',
  'pod-hardening',
  'network-policies',
  'generated-secrets',
  'observability',
  'mtls-internal',
  'encrypted-backups',
] as const;
export type ControlId = (typeof controlIds)[number];

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
