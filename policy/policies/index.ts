import type { Policies } from '@pulumi/policy';
import type { PolicyMeta, SecureWorkshopPolicy } from '../lib/meta';
import { apiAuthEnabled } from './api-auth-enabled';
import { apiDbViaFirewall } from './api-db-via-firewall';
import { apiMetricsScraped } from './api-metrics-scraped';
import { apiMtlsRequired } from './api-mtls-required';
import { apiRouteAuth } from './api-route-auth';
import { apiSecurityHeaders } from './api-security-headers';
import { apiServesTls } from './api-serves-tls';
import { certificateStrength } from './certificate-strength';
import { containerProbes } from './container-probes';
import { dbClientVerifyFull } from './db-client-verify-full';
import { encryptedBackups } from './encrypted-backups';
import { imageTagPinned } from './image-tag-pinned';
import { ingressWebsecureTls } from './ingress-websecure-tls';
import { namespacePodSecurity } from './namespace-pod-security';
import { networkDefaultDeny } from './network-default-deny';
import { networkWorkloadSelected } from './network-workload-selected';
import { noExposedServices } from './no-exposed-services';
import { noSecretLiterals } from './no-secret-literals';
import { podSecurityRestricted } from './pod-security-restricted';
import { postgresIngressRestricted } from './postgres-ingress-restricted';
import { postgresTlsOnly } from './postgres-tls-only';
import { rbacLeastPrivilege } from './rbac-least-privilege';
import { reconcilerHttps } from './reconciler-https';
import { reconcilerScopedToken } from './reconciler-scoped-token';
import { resourceLimits } from './resource-limits';
import { securityAlertRules } from './security-alert-rules';
import { serviceAccountToken } from './service-account-token';

/** Every policy of the pack with its metadata, grouped by OWASP category. */
export const securePolicies: readonly SecureWorkshopPolicy[] = [
  // A01 Broken Access Control (the categories are the catalog's, by each policy's control)
  apiAuthEnabled,
  networkDefaultDeny,
  networkWorkloadSelected,
  apiMtlsRequired,
  reconcilerScopedToken,
  // A02 Cryptographic Failures
  noSecretLiterals,
  apiServesTls,
  dbClientVerifyFull,
  postgresTlsOnly,
  reconcilerHttps,
  certificateStrength,
  encryptedBackups,
  // A04 Insecure Design
  noExposedServices,
  apiRouteAuth,
  ingressWebsecureTls,
  apiDbViaFirewall,
  postgresIngressRestricted,
  // A05 Security Misconfiguration
  rbacLeastPrivilege,
  podSecurityRestricted,
  namespacePodSecurity,
  resourceLimits,
  containerProbes,
  imageTagPinned,
  serviceAccountToken,
  apiSecurityHeaders,
  // A09 Security Logging and Monitoring Failures
  apiMetricsScraped,
  securityAlertRules,
];

/** The CrossGuard policies, as PolicyPack takes them. */
export const policies: Policies = securePolicies.map((entry) => entry.policy);

/** Category, control and remediation of each policy, by policy name. */
export const policyMeta: Readonly<Record<string, PolicyMeta>> = Object.fromEntries(
  securePolicies.map((entry) => [entry.policy.name, entry.meta]),
);
