// The architecture drawn by `draw`: who calls whom, over which protocol, with which TLS and auth.
//
// It is inferred from the rendered objects, not read from the program's own flow list
// (architectureFlows in infra/stacks/architecture.ts, from which the NetworkPolicies are built).
// The picture must show what the objects really configure and allow: a client whose env still
// points at PostgreSQL past the firewall, a URL left on http, a route without the JWT middleware.
// Drawn from the flow list, such a program bug would be painted the way the program meant it;
// drawn from the objects, it shows in the picture, and stacks.test.ts checks that the two agree.
import {
  asKubernetesObject,
  dataOf,
  isHelmRelease,
  type KubernetesObject,
  podTemplateOf,
  WORKLOAD_KINDS,
} from '../testing/objects';
import { isRecord, type SynthResult } from './model';

export type NodeRole = 'client' | 'gateway' | 'firewall' | 'database' | 'service' | 'job' | 'monitoring';
export type TlsLevel = 'none' | 'TLS' | 'mTLS';
export type AuthKind = 'none' | 'JWT' | 'DB credential' | 'JWT + token endpoint' | 'JWT (some routes none)';

export interface ArchNode {
  id: string;
  name: string;
  /** Namespace, or '' for what lives outside the cluster. */
  namespace: string;
  role: NodeRole;
  /** What the box is made of: "Deployment", "CronJob", "IngressRoute (Traefik)". */
  kind: string;
}

export interface ArchEdge {
  from: string;
  to: string;
  protocol: string;
  tls: TlsLevel;
  auth: AuthKind;
  /** Scrape traffic (metrics listener), drawn apart from the data path. */
  metrics: boolean;
  /** What the edge was inferred from: "env PGHOST", "IngressRoute api". */
  evidence: string[];
}

export interface ArchGraph {
  stack: string;
  nodes: ArchNode[];
  edges: ArchEdge[];
}

interface Workload {
  node: ArchNode;
  podLabels: Record<string, string>;
  /** Every variable of every container, resolved through ConfigMaps and Secrets where possible. */
  env: Map<string, string>;
  /** Text of every ConfigMap/Secret the pod mounts plus its args: where config files name their peers. */
  configText: string;
}

interface ServiceInfo {
  name: string;
  namespace: string;
  ports: number[];
  selector: Record<string, string>;
  labels: Record<string, string>;
  type: string;
}

function record(value: unknown): Record<string, unknown> {
  return isRecord(value) ? value : {};
}

function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

function strings(value: unknown): Record<string, string> {
  return Object.fromEntries(
    Object.entries(record(value)).filter((entry): entry is [string, string] => typeof entry[1] === 'string'),
  );
}

function labelsMatch(selector: Record<string, string>, labels: Record<string, string>): boolean {
  const entries = Object.entries(selector);
  return entries.length > 0 && entries.every(([key, value]) => labels[key] === value);
}

// ---------------------------------------------------------------------------------------------
// Step 1: the cluster as the objects describe it: workloads with their resolved configuration,
// Services with their selectors, and the objects by kind and name.

class ObjectIndex {
  private readonly byKey = new Map<string, KubernetesObject>();
  constructor(readonly objects: KubernetesObject[]) {
    for (const object of objects)
      this.byKey.set(
        `${object.kind}/${object.metadata.namespace ?? ''}/${object.metadata.name ?? ''}`,
        object,
      );
  }
  get(kind: string, namespace: string, name: unknown): KubernetesObject | undefined {
    return typeof name === 'string' ? this.byKey.get(`${kind}/${namespace}/${name}`) : undefined;
  }
  ofKind(kind: string): KubernetesObject[] {
    return this.objects.filter((object) => object.kind === kind);
  }
}

function resolveEnv(containers: unknown[], namespace: string, index: ObjectIndex): Map<string, string> {
  const env = new Map<string, string>();
  const set = (name: string, value: string | undefined): void => {
    if (value !== undefined && !env.has(name)) env.set(name, value);
  };
  const dataOfRef = (kind: string, name: unknown) => {
    const object = index.get(kind, namespace, name);
    return object === undefined ? {} : dataOf(object);
  };
  for (const container of containers.map(record)) {
    for (const source of list(container.envFrom).map(record)) {
      const ref = record(source.configMapRef ?? source.secretRef);
      for (const [key, value] of Object.entries(
        dataOfRef(source.configMapRef ? 'ConfigMap' : 'Secret', ref.name),
      ))
        set(key, value);
    }
    for (const entry of list(container.env).map(record)) {
      if (typeof entry.name !== 'string') continue;
      if (typeof entry.value === 'string') {
        set(entry.name, entry.value);
        continue;
      }
      const from = record(entry.valueFrom);
      const ref = record(from.configMapKeyRef ?? from.secretKeyRef);
      const kind = from.configMapKeyRef ? 'ConfigMap' : 'Secret';
      const data = dataOfRef(kind, ref.name);
      // A value from a Secret still tells us the variable is set (a credential exists).
      set(
        entry.name,
        typeof ref.key === 'string' ? (data[ref.key] ?? `<${kind} ${String(ref.name)}>`) : undefined,
      );
    }
  }
  return env;
}

function mountedText(pod: Record<string, unknown>, namespace: string, index: ObjectIndex): string {
  const texts: string[] = [];
  const add = (kind: string, name: unknown): void => {
    const object = index.get(kind, namespace, name);
    if (object !== undefined) texts.push(...Object.values(dataOf(object)));
  };
  for (const volume of list(pod.volumes).map(record)) {
    if (isRecord(volume.configMap)) add('ConfigMap', volume.configMap.name);
    if (isRecord(volume.secret)) add('Secret', volume.secret.secretName);
    for (const source of list(record(volume.projected).sources).map(record)) {
      if (isRecord(source.configMap)) add('ConfigMap', source.configMap.name);
      if (isRecord(source.secret)) add('Secret', source.secret.name);
    }
  }
  for (const container of [...list(pod.containers), ...list(pod.initContainers)].map(record)) {
    texts.push(...list(container.args).map(String), ...list(container.command).map(String));
  }
  return texts.join('\n');
}

function roleOf(object: KubernetesObject, images: string[]): NodeRole {
  // Jobs first: a smoke test may run the PostgreSQL image only for its psql.
  if (object.kind === 'CronJob' || object.kind === 'Job') return 'job';
  if (images.some((image) => /jumpwire/i.test(image))) return 'firewall';
  if (images.some((image) => /(^|\/)postgres(ql)?[:@]/i.test(image)) || object.kind === 'StatefulSet')
    return 'database';
  return 'service';
}

function describeKind(object: KubernetesObject, role: NodeRole): string {
  if (role === 'firewall') return `${object.kind} (JumpWire)`;
  if (role === 'database') return `${object.kind} (PostgreSQL)`;
  return object.kind;
}

function readWorkload(object: KubernetesObject, index: ObjectIndex): Workload {
  const namespace = object.metadata.namespace ?? 'default';
  const template = podTemplateOf(object);
  const pod = record(template.spec);
  const containers = [...list(pod.initContainers), ...list(pod.containers)];
  const images = containers.map((container) => String(record(container).image ?? ''));
  const role = roleOf(object, images);
  const name = object.metadata.name ?? '';
  return {
    node: { id: `${namespace}/${name}`, name, namespace, role, kind: describeKind(object, role) },
    podLabels: strings(record(template.metadata).labels),
    env: resolveEnv(containers, namespace, index),
    configText: mountedText(pod, namespace, index),
  };
}

function readService(service: KubernetesObject): ServiceInfo {
  const spec = record(service.spec);
  return {
    name: service.metadata.name ?? '',
    namespace: service.metadata.namespace ?? 'default',
    ports: list(spec.ports).map((port) => Number(record(port).port)),
    selector: strings(spec.selector),
    labels: strings(service.metadata.labels),
    type: typeof spec.type === 'string' ? spec.type : 'ClusterIP',
  };
}

class Cluster {
  readonly index: ObjectIndex;
  readonly workloads: Workload[];
  readonly services: ServiceInfo[];
  private readonly namespaces: Set<string>;

  constructor(readonly result: SynthResult) {
    this.index = new ObjectIndex(
      result.resources.map(asKubernetesObject).filter((object): object is KubernetesObject => !!object),
    );
    this.workloads = this.index.objects
      .filter((object) => WORKLOAD_KINDS.includes(object.kind))
      .map((object) => readWorkload(object, this.index));
    this.services = this.index.ofKind('Service').map(readService);
    this.namespaces = new Set(this.services.map((service) => service.namespace));
  }

  /** The workloads a Service sends traffic to. */
  backends(service: ServiceInfo): Workload[] {
    return this.workloads.filter(
      (w) => w.node.namespace === service.namespace && labelsMatch(service.selector, w.podLabels),
    );
  }

  service(name: unknown, namespace: string): ServiceInfo | undefined {
    return this.services.find((s) => s.name === name && s.namespace === namespace);
  }

  /** The Service a cluster DNS name (`api`, `api.ns`, `api.ns.svc`) resolves to from `namespace`. */
  serviceByHost(host: string, namespace: string): ServiceInfo | undefined {
    const [name, ns = namespace, svc] = host.toLowerCase().split('.');
    if (svc !== undefined && svc !== 'svc') return undefined;
    if (!this.namespaces.has(ns)) return undefined;
    return this.service(name, ns);
  }
}

// ---------------------------------------------------------------------------------------------
// Step 2: the edges, each kind of evidence in turn. The first evidence for a pair decides its
// protocol, TLS and auth; later evidence is only listed.

function requiresClientCert(target: Workload): boolean {
  return target.env.get('TLS_CLIENT_AUTH') === 'require';
}

function requiresJwt(target: Workload): boolean {
  const mode = target.env.get('AUTH_MODE');
  if (mode === 'none') return false;
  return mode !== undefined || target.env.has('JWT_PUBLIC_KEY_FILE');
}

/** PostgreSQL that only accepts TLS: an hba file with hostssl lines and no plain `host` line. */
function serverRequiresTls(target: Workload): boolean {
  return /^\s*hostssl\s/m.test(target.configText) && !/^\s*host\s/m.test(target.configText);
}

const PG_TLS_MODES = new Set(['require', 'verify-ca', 'verify-full']);

const CLIENT: ArchNode = {
  id: 'client',
  name: 'client',
  namespace: '',
  role: 'client',
  kind: 'outside the cluster',
};

class GraphDraft {
  readonly nodes: Map<string, ArchNode>;
  readonly edges = new Map<string, ArchEdge>();

  constructor(nodes: readonly ArchNode[]) {
    this.nodes = new Map(nodes.map((node) => [node.id, node]));
  }

  addNode(node: ArchNode): void {
    this.nodes.set(node.id, node);
  }

  has(from: string, to: string): boolean {
    return this.edges.has(`${from}->${to}`);
  }

  addEdge(edge: Omit<ArchEdge, 'evidence'>, evidence: string): void {
    const key = `${edge.from}->${edge.to}`;
    const existing = this.edges.get(key);
    if (existing === undefined) this.edges.set(key, { ...edge, evidence: [evidence] });
    else if (!existing.evidence.includes(evidence)) existing.evidence.push(evidence);
  }

  http(from: string, target: Workload, https: boolean, jwt: boolean, evidence: string): void {
    const tls: TlsLevel = !https ? 'none' : requiresClientCert(target) ? 'mTLS' : 'TLS';
    const protocol = https ? 'HTTPS' : 'HTTP';
    this.addEdge(
      { from, to: target.node.id, protocol, tls, auth: jwt ? 'JWT' : 'none', metrics: false },
      evidence,
    );
  }

  postgres(
    caller: Workload,
    target: Workload,
    clientTls: boolean,
    credential: boolean,
    evidence: string,
  ): void {
    const tls: TlsLevel =
      clientTls || serverRequiresTls(target) ? (caller.env.has('PGSSLCERT') ? 'mTLS' : 'TLS') : 'none';
    this.addEdge(
      {
        from: caller.node.id,
        to: target.node.id,
        protocol: 'PostgreSQL',
        tls,
        auth: credential ? 'DB credential' : 'none',
        metrics: false,
      },
      evidence,
    );
  }

  finish(stack: string): ArchGraph {
    return {
      stack,
      nodes: [...this.nodes.values()].sort((a, b) => a.id.localeCompare(b.id)),
      edges: [...this.edges.values()].sort((a, b) =>
        `${a.from}->${a.to}`.localeCompare(`${b.from}->${b.to}`),
      ),
    };
  }
}

/** A libpq client: PGHOST names the Service, PGSSLMODE says whether it asks for TLS. */
function connectDatabaseClient(cluster: Cluster, caller: Workload, graph: GraphDraft): void {
  const pgHost = caller.env.get('PGHOST');
  const service = pgHost === undefined ? undefined : cluster.serviceByHost(pgHost, caller.node.namespace);
  if (service === undefined) return;
  const credential = caller.env.has('PGPASSWORD') || caller.env.has('PGPASSFILE') || caller.env.has('PGUSER');
  const clientTls = PG_TLS_MODES.has(caller.env.get('PGSSLMODE') ?? '');
  for (const target of cluster.backends(service))
    graph.postgres(caller, target, clientTls, credential, 'env PGHOST');
}

/** Any variable holding a URL to a Service: `postgres://`, `http://`, `https://`. */
function connectUrls(cluster: Cluster, caller: Workload, graph: GraphDraft): void {
  for (const [variable, value] of [...caller.env.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    const url = /^([a-z][a-z0-9+.-]*):\/\/(?:[^@/]*@)?([^/:?#]+)/i.exec(value);
    if (url === null) continue;
    const service = cluster.serviceByHost(url[2] as string, caller.node.namespace);
    if (service === undefined) continue;
    const scheme = (url[1] as string).toLowerCase();
    for (const target of cluster.backends(service)) {
      if (target.node.id === caller.node.id) continue;
      if (scheme.startsWith('postgres')) {
        const clientTls = /sslmode=(require|verify-ca|verify-full)/.test(value);
        graph.postgres(caller, target, clientTls, /:[^@/]+@/.test(value), `env ${variable}`);
      } else if (scheme === 'http' || scheme === 'https') {
        graph.http(caller.node.id, target, scheme === 'https', requiresJwt(target), `env ${variable}`);
      }
    }
  }
}

/** Config files (JumpWire's manifest, ...) that name their peers by cluster DNS name or a host key. */
function connectConfiguredPeers(cluster: Cluster, caller: Workload, graph: GraphDraft): void {
  const hosts = [
    ...[...caller.configText.matchAll(/\b([a-z0-9-]+\.[a-z0-9-]+\.svc)(?:\.cluster\.local)?\b/g)].map(
      (m) => m[1] as string,
    ),
    ...[...caller.configText.matchAll(/\b(?:hostname|host)\s*[:=]\s*["']?([a-z0-9][a-z0-9.-]*)/gi)].map(
      (m) => m[1] as string,
    ),
  ];
  for (const host of [...new Set(hosts)].sort()) {
    const service = cluster.serviceByHost(host, caller.node.namespace);
    if (service === undefined) continue;
    for (const target of cluster.backends(service)) {
      if (target.node.id === caller.node.id || graph.has(caller.node.id, target.node.id)) continue;
      if (target.node.role === 'database' || service.ports.includes(5432)) {
        const clientTls = /sslmode\W+(require|verify-ca|verify-full)|\bssl\W+true/i.test(caller.configText);
        graph.postgres(caller, target, clientTls, /password/i.test(caller.configText), 'mounted config');
      } else {
        const https = service.ports.includes(443);
        graph.http(caller.node.id, target, https, requiresJwt(target), 'mounted config');
      }
    }
  }
}

function usesJwtMiddleware(cluster: Cluster, rule: Record<string, unknown>, namespace: string): boolean {
  return list(rule.middlewares)
    .map(record)
    .some((mw) => {
      const object = cluster.index.get('Middleware', String(mw.namespace ?? namespace), mw.name);
      return /jwt/i.test(String(mw.name)) || /jwt/i.test(JSON.stringify(record(object?.spec).plugin ?? {}));
    });
}

/** One Traefik box per namespace however many IngressRoutes it has; the token route needs no JWT. */
function connectGateways(cluster: Cluster, graph: GraphDraft): void {
  const routesByNamespace = new Map<string, KubernetesObject[]>();
  for (const route of cluster.index.ofKind('IngressRoute')) {
    const namespace = route.metadata.namespace ?? 'default';
    routesByNamespace.set(namespace, [...(routesByNamespace.get(namespace) ?? []), route]);
  }
  for (const [namespace, routes] of [...routesByNamespace].sort(([a], [b]) => a.localeCompare(b))) {
    const names = routes.map((route) => route.metadata.name ?? '').sort();
    const gateway: ArchNode = {
      id: `${namespace}/traefik`,
      name: 'traefik',
      namespace,
      role: 'gateway',
      kind: `IngressRoute${names.length > 1 ? 's' : ''} ${names.join(', ')}`,
    };
    graph.addNode(gateway);
    let secure = true;
    let anyJwt = false;
    const unprotected: string[] = [];
    for (const route of routes) {
      const spec = record(route.spec);
      secure &&= isRecord(spec.tls) || list(spec.entryPoints).includes('websecure');
      for (const rule of list(spec.routes).map(record)) {
        const jwt = usesJwtMiddleware(cluster, rule, namespace);
        if (jwt) anyJwt = true;
        else unprotected.push(String(rule.match ?? ''));
        for (const ref of list(rule.services).map(record)) {
          const service = cluster.service(ref.name, String(ref.namespace ?? namespace));
          if (service === undefined) continue;
          const https = ref.scheme === 'https' || Number(ref.port) === 443;
          const evidence = `IngressRoute ${route.metadata.name ?? ''}`;
          for (const target of cluster.backends(service))
            graph.http(gateway.id, target, https, jwt || requiresJwt(target), evidence);
        }
      }
    }
    const tokenOnly = unprotected.every((match) => /oauth\/token/.test(match));
    const auth: AuthKind = !anyJwt
      ? 'none'
      : unprotected.length === 0
        ? 'JWT'
        : tokenOnly
          ? 'JWT + token endpoint'
          : 'JWT (some routes none)';
    graph.addNode(CLIENT);
    graph.addEdge(
      {
        from: CLIENT.id,
        to: gateway.id,
        protocol: secure ? 'HTTPS' : 'HTTP',
        tls: secure ? 'TLS' : 'none',
        auth,
        metrics: false,
      },
      `IngressRoute ${names.join(', ')}`,
    );
  }
}

/** Services published outside the cluster without a gateway. */
function connectExposedServices(cluster: Cluster, graph: GraphDraft): void {
  for (const service of cluster.services.filter((s) => s.type === 'LoadBalancer' || s.type === 'NodePort')) {
    graph.addNode(CLIENT);
    for (const target of cluster.backends(service)) {
      const https = service.ports.includes(443) || target.env.has('TLS_CERT_DIR');
      graph.http(CLIENT.id, target, https, requiresJwt(target), `Service ${service.name} (${service.type})`);
    }
  }
}

/** Prometheus (from the kube-prometheus-stack release) scraping what the ServiceMonitors select. */
function connectScrapers(cluster: Cluster, graph: GraphDraft): void {
  const monitors = cluster.index.ofKind('ServiceMonitor');
  if (monitors.length === 0) return;
  const release = cluster.result.resources
    .filter(isHelmRelease)
    .find((r) => /prometheus/.test(String(r.inputs.chart)));
  const namespace = typeof release?.inputs.namespace === 'string' ? release.inputs.namespace : 'monitoring';
  const prometheus: ArchNode = {
    id: `${namespace}/prometheus`,
    name: 'prometheus',
    namespace,
    role: 'monitoring',
    kind: 'kube-prometheus-stack',
  };
  graph.addNode(prometheus);
  for (const monitor of monitors) {
    const spec = record(monitor.spec);
    const selector = strings(record(spec.selector).matchLabels);
    const scopes = list(record(spec.namespaceSelector).matchNames).map(String);
    const inScope = scopes.length > 0 ? scopes : [monitor.metadata.namespace ?? 'default'];
    const endpoints = list(spec.endpoints).map(record);
    const https = endpoints.length > 0 && endpoints.every((endpoint) => endpoint.scheme === 'https');
    for (const service of cluster.services) {
      if (!inScope.includes(service.namespace) || !labelsMatch(selector, service.labels)) continue;
      for (const target of cluster.backends(service)) {
        graph.addEdge(
          {
            from: prometheus.id,
            to: target.node.id,
            protocol: https ? 'HTTPS' : 'HTTP',
            tls: https ? 'TLS' : 'none',
            auth: 'none',
            metrics: true,
          },
          `ServiceMonitor ${monitor.metadata.name ?? ''}`,
        );
      }
    }
  }
}

/** The architecture drawn from what the program renders: workloads, gateways and who calls whom. */
export function buildGraph(result: SynthResult): ArchGraph {
  const cluster = new Cluster(result);
  const graph = new GraphDraft(cluster.workloads.map((workload) => workload.node));
  for (const caller of cluster.workloads) {
    connectDatabaseClient(cluster, caller, graph);
    connectUrls(cluster, caller, graph);
    connectConfiguredPeers(cluster, caller, graph);
  }
  connectGateways(cluster, graph);
  connectExposedServices(cluster, graph);
  connectScrapers(cluster, graph);
  return graph.finish(result.stack);
}
