import type { PolicyResource } from '@pulumi/policy';
import { defineStackPolicy } from '../lib/define';
import { isEmptySelector, selectorMatches } from '../lib/k8s';
import { namespaceLabels, networkPoliciesOf, selects } from '../lib/network';
import type { WorkloadRole } from '../lib/roles';
import { asRecord, type PropertyBag } from '../lib/values';
import { workloadsOf, type Workload } from '../lib/workloads';

/** The only pods that may open a connection to PostgreSQL. */
const allowedClientRoles: readonly WorkloadRole[] = ['firewall', 'migrate', 'backup'];

/** Why a NetworkPolicy peer admits more than the firewall and the jobs, or undefined when it does not. */
function peerProblem(
  peer: PropertyBag,
  ownNamespace: string,
  resources: readonly PolicyResource[],
  workloads: readonly Workload[],
): string | undefined {
  if (peer.ipBlock !== undefined) return 'an ipBlock peer admits any address in the block';
  const podSelector = asRecord(peer.podSelector);
  const namespaceSelector = peer.namespaceSelector;
  if (!podSelector) return 'a namespaceSelector without podSelector admits every pod of those namespaces';
  if (isEmptySelector(podSelector)) return 'an empty podSelector admits every pod';
  const reached = workloads.filter((workload) => {
    const namespace = workload.meta.namespace;
    const namespaceOk =
      namespaceSelector === undefined
        ? namespace === ownNamespace
        : selectorMatches(namespaceSelector, namespaceLabels(resources, namespace));
    return namespaceOk && selectorMatches(podSelector, workload.podLabels);
  });
  const intruders = reached.filter(
    (workload) => !workload.role || !allowedClientRoles.includes(workload.role),
  );
  return intruders.length > 0
    ? `it admits ${intruders.map((workload) => workload.label).join(', ')}`
    : undefined;
}

export const postgresIngressRestricted = defineStackPolicy({
  name: 'postgres-ingress-restricted',
  description:
    'NetworkPolicies let only the database firewall and the migrate/backup jobs reach PostgreSQL; the API cannot reach it directly.',
  control: 'db-firewall',
  remediation:
    'Select the PostgreSQL pods with a NetworkPolicy whose ingress allows only the jumpwire, migrate and backup pod labels on 5432.',
  validateStack: (args, reportViolation) => {
    const workloads = workloadsOf(args.resources);
    const policies = networkPoliciesOf(args.resources);
    for (const postgres of workloads.filter((workload) => workload.role === 'postgres')) {
      const namespace = postgres.meta.namespace;
      const isolating = policies.filter(
        (policy) => policy.types.has('Ingress') && selects(policy, namespace, postgres.podLabels),
      );
      if (isolating.length === 0) {
        reportViolation(
          `${postgres.label} is reachable from every pod: no NetworkPolicy restricts its ingress`,
          postgres.urn,
        );
        continue;
      }
      for (const policy of isolating) {
        for (const rule of policy.ingress) {
          const peers = Array.isArray(rule.from) ? rule.from : [];
          if (peers.length === 0) {
            reportViolation(
              `${postgres.label}: NetworkPolicy ${policy.name} has an ingress rule from anywhere`,
              postgres.urn,
            );
            continue;
          }
          for (const peer of peers) {
            const problem = peerProblem(asRecord(peer) ?? {}, namespace, args.resources, workloads);
            if (problem)
              reportViolation(`${postgres.label}: NetworkPolicy ${policy.name}: ${problem}`, postgres.urn);
          }
        }
      }
    }
  },
});
