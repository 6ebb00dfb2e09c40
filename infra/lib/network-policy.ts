// NetworkPolicy builders: default deny, DNS, and one allow policy per workload from a list of flows.
import type * as k8s from '@pulumi/kubernetes';
import type { ControlId } from '@secure-workshop/contracts';
import { NAME_LABEL } from './labels';

type NetworkPolicySpec = k8s.types.input.networking.v1.NetworkPolicySpec;
type NetworkPolicyPeer = k8s.types.input.networking.v1.NetworkPolicyPeer;
type NetworkPolicyPort = k8s.types.input.networking.v1.NetworkPolicyPort;

export const NAMESPACE_NAME_LABEL = 'kubernetes.io/metadata.name';

/** A workload of this stack's namespace, by its app.kubernetes.io/name label. */
export interface LocalPeer {
  app: string;
}

/** Pods in another namespace (optionally narrowed by labels), e.g. Traefik in kube-system. */
export interface ExternalPeer {
  namespace: string;
  podLabels?: Record<string, string>;
}

export type Peer = LocalPeer | ExternalPeer;

export interface Flow {
  from: Peer;
  to: Peer;
  port: number;
  protocol?: 'TCP' | 'UDP';
  /** Why the flow exists, for the policy's description. */
  description: string;
  /** The control the flow exists for, so the policy that allows it is annotated with it too. */
  control?: ControlId;
}

export interface NamedPolicy {
  name: string;
  spec: NetworkPolicySpec;
  description: string;
  /** Controls whose flows the policy allows (see Flow.control). */
  controls: ControlId[];
}

function isLocal(peer: Peer): peer is LocalPeer {
  return 'app' in peer;
}

function peerSelector(peer: Peer): NetworkPolicyPeer {
  if (isLocal(peer)) return { podSelector: { matchLabels: { [NAME_LABEL]: peer.app } } };
  return {
    namespaceSelector: { matchLabels: { [NAMESPACE_NAME_LABEL]: peer.namespace } },
    ...(peer.podLabels ? { podSelector: { matchLabels: peer.podLabels } } : {}),
  };
}

function portOf(flow: Flow): NetworkPolicyPort {
  return { port: flow.port, protocol: flow.protocol ?? 'TCP' };
}

/** Selects every pod and allows nothing: the baseline every allow policy adds to. */
export function defaultDenyPolicy(): NamedPolicy {
  return {
    name: 'default-deny',
    description: 'deny all ingress and egress unless another policy allows it',
    controls: [],
    spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] },
  };
}

/** Every pod may resolve names through the cluster DNS in kube-system. */
export function dnsEgressPolicy(): NamedPolicy {
  return {
    name: 'allow-dns',
    description: 'DNS lookups to kube-dns (CoreDNS) in kube-system',
    controls: [],
    spec: {
      podSelector: {},
      policyTypes: ['Egress'],
      egress: [
        {
          to: [
            {
              namespaceSelector: { matchLabels: { [NAMESPACE_NAME_LABEL]: 'kube-system' } },
              podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } },
            },
          ],
          ports: [
            { port: 53, protocol: 'UDP' },
            { port: 53, protocol: 'TCP' },
          ],
        },
      ],
    },
  };
}

/**
 * One policy per local workload (`allow-<app>`) holding the ingress rules of flows that end at it
 * and the egress rules of flows that start at it, in the order the flows are given.
 */
export function policiesForFlows(flows: readonly Flow[]): NamedPolicy[] {
  const apps: string[] = [];
  const note = (peer: Peer) => {
    if (isLocal(peer) && !apps.includes(peer.app)) apps.push(peer.app);
  };
  for (const flow of flows) {
    note(flow.to);
    note(flow.from);
  }
  return apps.map((app) => {
    const incoming = flows.filter((flow) => isLocal(flow.to) && flow.to.app === app);
    const outgoing = flows.filter((flow) => isLocal(flow.from) && flow.from.app === app);
    const policyTypes: string[] = [];
    if (incoming.length > 0) policyTypes.push('Ingress');
    if (outgoing.length > 0) policyTypes.push('Egress');
    const spec: NetworkPolicySpec = {
      podSelector: { matchLabels: { [NAME_LABEL]: app } },
      policyTypes,
      ...(incoming.length > 0
        ? { ingress: incoming.map((flow) => ({ from: [peerSelector(flow.from)], ports: [portOf(flow)] })) }
        : {}),
      ...(outgoing.length > 0
        ? { egress: outgoing.map((flow) => ({ to: [peerSelector(flow.to)], ports: [portOf(flow)] })) }
        : {}),
    };
    return {
      name: `allow-${app}`,
      description: [...incoming, ...outgoing].map((flow) => flow.description).join('; '),
      controls: [
        ...new Set([...incoming, ...outgoing].flatMap((flow) => (flow.control ? [flow.control] : []))),
      ],
      spec,
    };
  });
}
