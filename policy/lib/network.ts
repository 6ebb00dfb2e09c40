import type { PolicyResource } from '@pulumi/policy';
import { findObject, isEmptySelector, k8sTypes, metadataOf, selectorMatches } from './k8s';
import { asArray, asRecord, asRecords, asString, type PropertyBag } from './values';

export interface NetworkPolicyView {
  urn: string;
  namespace: string;
  name: string;
  podSelector: unknown;
  types: Set<'Ingress' | 'Egress'>;
  ingress: PropertyBag[];
  egress: PropertyBag[];
}

/** Reads a NetworkPolicy with the API's defaulting of policyTypes. */
export function networkPolicyOf(resource: { urn: string; props: PropertyBag }): NetworkPolicyView {
  const meta = metadataOf(resource.props);
  const spec = asRecord(resource.props.spec) ?? {};
  const declared = asArray(spec.policyTypes).map((type) => asString(type));
  const types = new Set<'Ingress' | 'Egress'>();
  if (declared.length === 0) {
    types.add('Ingress');
    if (spec.egress !== undefined) types.add('Egress');
  } else {
    if (declared.includes('Ingress')) types.add('Ingress');
    if (declared.includes('Egress')) types.add('Egress');
  }
  return {
    urn: resource.urn,
    namespace: meta.namespace,
    name: meta.name ?? '(unnamed)',
    podSelector: spec.podSelector,
    types,
    ingress: asRecords(spec.ingress),
    egress: asRecords(spec.egress),
  };
}

export function networkPoliciesOf(resources: readonly PolicyResource[]): NetworkPolicyView[] {
  return resources.filter((r) => r.type === k8sTypes.networkPolicy).map(networkPolicyOf);
}

/** Denies all traffic of the given direction for every pod of its namespace. */
export function deniesAll(policy: NetworkPolicyView, direction: 'Ingress' | 'Egress'): boolean {
  const rules = direction === 'Ingress' ? policy.ingress : policy.egress;
  return isEmptySelector(policy.podSelector) && policy.types.has(direction) && rules.length === 0;
}

export function selects(
  policy: NetworkPolicyView,
  namespace: string,
  labels: Record<string, string>,
): boolean {
  return policy.namespace === namespace && selectorMatches(policy.podSelector, labels);
}

/** Labels of a namespace as the API server sees them (the name label is automatic). */
export function namespaceLabels(
  resources: readonly PolicyResource[],
  namespace: string,
): Record<string, string> {
  const declared = findObject(resources, k8sTypes.namespace, namespace);
  return {
    ...(declared ? metadataOf(declared.props).labels : {}),
    'kubernetes.io/metadata.name': namespace,
  };
}
