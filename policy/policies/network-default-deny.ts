import { defineStackPolicy } from '../lib/define';
import { findObject, k8sTypes } from '../lib/k8s';
import { deniesAll, networkPoliciesOf } from '../lib/network';
import { workloadsOf } from '../lib/workloads';

export const networkDefaultDeny = defineStackPolicy({
  name: 'network-default-deny',
  description: 'Every namespace with workloads has a default-deny NetworkPolicy for ingress and for egress.',
  control: 'network-policies',
  remediation:
    'Add a NetworkPolicy with podSelector {} and policyTypes [Ingress, Egress] and no rules, then allow each needed flow.',
  validateStack: (args, reportViolation) => {
    const policies = networkPoliciesOf(args.resources);
    const namespaces = new Set(workloadsOf(args.resources).map((workload) => workload.meta.namespace));
    for (const namespace of namespaces) {
      const inNamespace = policies.filter((policy) => policy.namespace === namespace);
      const missing = (['Ingress', 'Egress'] as const).filter(
        (direction) => !inNamespace.some((policy) => deniesAll(policy, direction)),
      );
      if (missing.length === 0) continue;
      const declared = findObject(args.resources, k8sTypes.namespace, namespace);
      reportViolation(
        `namespace ${namespace} has workloads but no default-deny NetworkPolicy for ${missing.join(' and ')}`,
        declared?.urn,
      );
    }
  },
});
