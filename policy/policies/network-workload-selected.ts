import { defineStackPolicy } from '../lib/define';
import { isEmptySelector } from '../lib/k8s';
import { networkPoliciesOf, selects } from '../lib/network';
import { workloadsOf } from '../lib/workloads';

export const networkWorkloadSelected = defineStackPolicy({
  name: 'network-workload-selected',
  description:
    'Every workload is selected by a NetworkPolicy that allows its flows (nothing relies on a flat network).',
  control: 'network-policies',
  remediation:
    "Add a NetworkPolicy whose podSelector matches the workload's pod labels and lists its allowed peers.",
  validateStack: (args, reportViolation) => {
    // A namespace-wide allow (an empty podSelector, e.g. DNS for every pod) is not a workload's own.
    const allowPolicies = networkPoliciesOf(args.resources).filter(
      (policy) =>
        (policy.ingress.length > 0 || policy.egress.length > 0) && !isEmptySelector(policy.podSelector),
    );
    for (const workload of workloadsOf(args.resources)) {
      if (!allowPolicies.some((policy) => selects(policy, workload.meta.namespace, workload.podLabels))) {
        reportViolation(
          `${workload.label} is not selected by any NetworkPolicy with allow rules`,
          workload.urn,
        );
      }
    }
  },
});
