import { describe, expect, it } from 'vitest';
import { defaultDenyPolicy, dnsEgressPolicy, policiesForFlows } from './network-policy';

describe('network policy builders', () => {
  it('denies everything by default and allows DNS to kube-dns only', () => {
    expect(defaultDenyPolicy().spec).toEqual({ podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
    expect(dnsEgressPolicy().spec.egress).toEqual([
      {
        to: [
          {
            namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } },
            podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } },
          },
        ],
        ports: [
          { port: 53, protocol: 'UDP' },
          { port: 53, protocol: 'TCP' },
        ],
      },
    ]);
  });

  it('gives each local workload one policy with its incoming and outgoing flows', () => {
    const policies = policiesForFlows([
      {
        from: { app: 'reconciler' },
        to: { app: 'api' },
        port: 8443,
        description: 'reconciler calls the API',
      },
      { from: { namespace: 'monitoring' }, to: { app: 'api' }, port: 9464, description: 'scrapes' },
      { from: { app: 'api' }, to: { app: 'postgres' }, port: 5432, description: 'queries' },
    ]);
    expect(policies.map((policy) => policy.name)).toEqual([
      'allow-api',
      'allow-reconciler',
      'allow-postgres',
    ]);
    const api = policies[0]!.spec;
    expect(api.podSelector).toEqual({ matchLabels: { 'app.kubernetes.io/name': 'api' } });
    expect(api.policyTypes).toEqual(['Ingress', 'Egress']);
    expect(api.ingress).toEqual([
      {
        from: [{ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'reconciler' } } }],
        ports: [{ port: 8443, protocol: 'TCP' }],
      },
      {
        from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }],
        ports: [{ port: 9464, protocol: 'TCP' }],
      },
    ]);
    expect(api.egress).toEqual([
      {
        to: [{ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'postgres' } } }],
        ports: [{ port: 5432, protocol: 'TCP' }],
      },
    ]);
    expect(policies[1]!.spec.policyTypes).toEqual(['Egress']);
    expect(policies[2]!.spec.policyTypes).toEqual(['Ingress']);
    expect(policies[2]!.spec.egress).toBeUndefined();
  });

  it('lists, once each, the controls of the flows a policy allows', () => {
    const policies = policiesForFlows([
      { from: { app: 'api' }, to: { app: 'jumpwire' }, port: 5432, description: 'a', control: 'db-firewall' },
      {
        from: { namespace: 'monitoring' },
        to: { app: 'jumpwire' },
        port: 9568,
        description: 'b',
        control: 'observability',
      },
      {
        from: { app: 'jumpwire' },
        to: { app: 'postgres' },
        port: 5432,
        description: 'c',
        control: 'db-firewall',
      },
      { from: { app: 'reconciler' }, to: { app: 'api' }, port: 8443, description: 'd' },
    ]);
    expect(Object.fromEntries(policies.map((policy) => [policy.name, policy.controls]))).toEqual({
      'allow-jumpwire': ['db-firewall', 'observability'],
      'allow-api': ['db-firewall'],
      'allow-postgres': ['db-firewall'],
      'allow-reconciler': [],
    });
    expect(defaultDenyPolicy().controls).toEqual([]);
  });
});
