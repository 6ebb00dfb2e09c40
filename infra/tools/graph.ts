import { asKubernetesObject, isHelmRelease, type KubernetesObject } from '../testing/objects';
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

const WORKLOAD_KINDS = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'Job', 'CronJob']);

interface Workload {
  node: ArchNode;
  object: KubernetesObject;
  podLabels: Record<string, string>;
  env: Map<string, string>;
  /** Text of every ConfigMap/Secret the pod mounts plus its args: where config files name their peers. */
  configText: string;
}

interface ServiceInfo {
  name: string;
  namespace: string;
  ports: number[];
  selector: Record<string, string>;
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

function podTemplate(object: KubernetesObject): Record<string, unknown> {
  const spec = record(object.spec);
  if (object.kind === 'CronJob') return record(record(record(spec.jobTemplate).spec).template);
  return record(spec.template);
}

function decodeData(object: KubernetesObject | undefined): Record<string, string> {
  if (object === undefined) return {};
  const decoded = Object.fromEntries(
    Object.entries(strings(object.data)).map(([key, value]) =>
      object.kind === 'Secret' ? [key, Buffer.from(value, 'base64').toString('utf8')] : [key, value],
    ),
  );
  return { ...decoded, ...strings(object.stringData) };
}

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
  for (const container of containers.map(record)) {
    for (const source of list(container.envFrom).map(record)) {
      const ref = record(source.configMapRef ?? source.secretRef);
      const kind = source.configMapRef ? 'ConfigMap' : 'Secret';
      for (const [key, value] of Object.entries(decodeData(index.get(kind, namespace, ref.name))))
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
      const data = decodeData(index.get(kind, namespace, ref.name));
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
    texts.push(...Object.values(decodeData(index.get(kind, namespace, name))));
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

const FIREWALL_KIND = 'Deployment (JumpWire)';

function describeKind(object: KubernetesObject, role: NodeRole): string {
  if (role === 'firewall') return object.kind === 'Deployment' ? FIREWALL_KIND : `${object.kind} (JumpWire)`;
  if (role === 'database') return `${object.kind} (PostgreSQL)`;
  return object.kind;
}

function labelsMatch(selector: Record<string, string>, labels: Record<string, string>): boolean {
  const entries = Object.entries(selector);
  return entries.length > 0 && entries.every(([key, value]) => labels[key] === value);
}

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

/** The architecture drawn from what the program renders: workloads, gateways and who calls whom. */
export function buildGraph(result: SynthResult): ArchGraph {
  const objects = result.resources
    .map(asKubernetesObject)
    .filter((object): object is KubernetesObject => !!object);
  const index = new ObjectIndex(objects);
  const workloads: Workload[] = [];
  for (const object of objects.filter((o) => WORKLOAD_KINDS.has(o.kind))) {
    const namespace = object.metadata.namespace ?? 'default';
    const pod = record(podTemplate(object).spec);
    const containers = [...list(pod.initContainers), ...list(pod.containers)];
    const images = containers.map((container) => String(record(container).image ?? ''));
    const role = roleOf(object, images);
    const name = object.metadata.name ?? '';
    workloads.push({
      node: { id: `${namespace}/${name}`, name, namespace, role, kind: describeKind(object, role) },
      object,
      podLabels: strings(record(podTemplate(object).metadata).labels),
      env: resolveEnv(containers, namespace, index),
      configText: mountedText(pod, namespace, index),
    });
  }
  const services: ServiceInfo[] = index.ofKind('Service').map((service) => {
    const spec = record(service.spec);
    return {
      name: service.metadata.name ?? '',
      namespace: service.metadata.namespace ?? 'default',
      ports: list(spec.ports).map((port) => Number(record(port).port)),
      selector: strings(spec.selector),
      type: typeof spec.type === 'string' ? spec.type : 'ClusterIP',
    };
  });
  const namespaces = new Set(services.map((service) => service.namespace));
  const backends = (service: ServiceInfo): Workload[] =>
    workloads.filter(
      (w) => w.node.namespace === service.namespace && labelsMatch(service.selector, w.podLabels),
    );
  const serviceByHost = (host: string, namespace: string): ServiceInfo | undefined => {
    const [name, ns = namespace, svc] = host.toLowerCase().split('.');
    if (svc !== undefined && svc !== 'svc') return undefined;
    if (!namespaces.has(ns)) return undefined;
    return services.find((service) => service.name === name && service.namespace === ns);
  };

  const nodes = new Map<string, ArchNode>(workloads.map((w) => [w.node.id, w.node]));
  const edges = new Map<string, ArchEdge>();
  const addEdge = (edge: Omit<ArchEdge, 'evidence'>, evidence: string): void => {
    const key = `${edge.from}->${edge.to}`;
    const existing = edges.get(key);
    if (existing === undefined) edges.set(key, { ...edge, evidence: [evidence] });
    else if (!existing.evidence.includes(evidence)) existing.evidence.push(evidence);
  };
  const httpEdge = (from: string, target: Workload, https: boolean, jwt: boolean, evidence: string): void => {
    const tls: TlsLevel = !https ? 'none' : requiresClientCert(target) ? 'mTLS' : 'TLS';
    addEdge(
      {
        from,
        to: target.node.id,
        protocol: https ? 'HTTPS' : 'HTTP',
        tls,
        auth: jwt ? 'JWT' : 'none',
        metrics: false,
      },
      evidence,
    );
  };
  const postgresEdge = (
    caller: Workload,
    target: Workload,
    clientTls: boolean,
    credential: boolean,
    evidence: string,
  ): void => {
    const tls: TlsLevel =
      clientTls || serverRequiresTls(target) ? (caller.env.has('PGSSLCERT') ? 'mTLS' : 'TLS') : 'none';
    addEdge(
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
  };

  for (const caller of workloads) {
    const namespace = caller.node.namespace;
    const credential =
      caller.env.has('PGPASSWORD') || caller.env.has('PGPASSFILE') || caller.env.has('PGUSER');
    const pgHost = caller.env.get('PGHOST');
    const pgService = pgHost === undefined ? undefined : serviceByHost(pgHost, namespace);
    if (pgService !== undefined) {
      const clientTls = PG_TLS_MODES.has(caller.env.get('PGSSLMODE') ?? '');
      for (const target of backends(pgService))
        postgresEdge(caller, target, clientTls, credential, 'env PGHOST');
    }
    for (const [variable, value] of [...caller.env.entries()].sort(([a], [b]) => a.localeCompare(b))) {
      const url = /^([a-z][a-z0-9+.-]*):\/\/(?:[^@/]*@)?([^/:?#]+)/i.exec(value);
      if (url === null) continue;
      const service = serviceByHost(url[2] as string, namespace);
      if (service === undefined) continue;
      const scheme = (url[1] as string).toLowerCase();
      for (const target of backends(service)) {
        if (target.node.id === caller.node.id) continue;
        if (scheme.startsWith('postgres')) {
          postgresEdge(
            caller,
            target,
            /sslmode=(require|verify-ca|verify-full)/.test(value),
            /:[^@/]+@/.test(value),
            `env ${variable}`,
          );
        } else if (scheme === 'http' || scheme === 'https') {
          httpEdge(caller.node.id, target, scheme === 'https', requiresJwt(target), `env ${variable}`);
        }
      }
    }
    // Config files (JumpWire's manifest, ...) name their peers by cluster DNS name or a host key.
    const hosts = [
      ...[...caller.configText.matchAll(/\b([a-z0-9-]+\.[a-z0-9-]+\.svc)(?:\.cluster\.local)?\b/g)].map(
        (m) => m[1] as string,
      ),
      ...[...caller.configText.matchAll(/\b(?:hostname|host)\s*[:=]\s*["']?([a-z0-9][a-z0-9.-]*)/gi)].map(
        (m) => m[1] as string,
      ),
    ];
    for (const host of [...new Set(hosts)].sort()) {
      const service = serviceByHost(host, namespace);
      if (service === undefined) continue;
      for (const target of backends(service)) {
        if (target.node.id === caller.node.id || edges.has(`${caller.node.id}->${target.node.id}`)) continue;
        if (target.node.role === 'database' || service.ports.includes(5432)) {
          postgresEdge(
            caller,
            target,
            /sslmode\W+(require|verify-ca|verify-full)|\bssl\W+true/i.test(caller.configText),
            /password/i.test(caller.configText),
            'mounted config',
          );
        } else {
          httpEdge(
            caller.node.id,
            target,
            service.ports.includes(443),
            requiresJwt(target),
            'mounted config',
          );
        }
      }
    }
  }

  const client: ArchNode = {
    id: 'client',
    name: 'client',
    namespace: '',
    role: 'client',
    kind: 'outside the cluster',
  };
  // One Traefik box per namespace however many IngressRoutes it has; the token route needs no JWT.
  const routesByNamespace = new Map<string, KubernetesObject[]>();
  for (const route of index.ofKind('IngressRoute')) {
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
    nodes.set(gateway.id, gateway);
    let secure = true;
    const unprotected: string[] = [];
    let anyJwt = false;
    for (const route of routes) {
      const name = route.metadata.name ?? '';
      const spec = record(route.spec);
      secure &&= isRecord(spec.tls) || list(spec.entryPoints).includes('websecure');
      for (const rule of list(spec.routes).map(record)) {
        const jwt = list(rule.middlewares)
          .map(record)
          .some((mw) => {
            const object = index.get('Middleware', String(mw.namespace ?? namespace), mw.name);
            return (
              /jwt/i.test(String(mw.name)) || /jwt/i.test(JSON.stringify(record(object?.spec).plugin ?? {}))
            );
          });
        if (jwt) anyJwt = true;
        else unprotected.push(String(rule.match ?? ''));
        for (const ref of list(rule.services).map(record)) {
          const service = services.find(
            (s) => s.name === ref.name && s.namespace === String(ref.namespace ?? namespace),
          );
          if (service === undefined) continue;
          const https = ref.scheme === 'https' || Number(ref.port) === 443;
          for (const target of backends(service))
            httpEdge(gateway.id, target, https, jwt || requiresJwt(target), `IngressRoute ${name}`);
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
    nodes.set(client.id, client);
    addEdge(
      {
        from: client.id,
        to: gateway.id,
        protocol: secure ? 'HTTPS' : 'HTTP',
        tls: secure ? 'TLS' : 'none',
        auth,
        metrics: false,
      },
      `IngressRoute ${names.join(', ')}`,
    );
  }
  for (const service of services.filter((s) => s.type === 'LoadBalancer' || s.type === 'NodePort')) {
    nodes.set(client.id, client);
    for (const target of backends(service)) {
      const https = service.ports.includes(443) || target.env.has('TLS_CERT_DIR');
      httpEdge(client.id, target, https, requiresJwt(target), `Service ${service.name} (${service.type})`);
    }
  }

  const monitors = index.ofKind('ServiceMonitor');
  if (monitors.length > 0) {
    const release = result.resources
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
    nodes.set(prometheus.id, prometheus);
    for (const monitor of monitors) {
      const spec = record(monitor.spec);
      const selector = strings(record(spec.selector).matchLabels);
      const scopes = list(record(spec.namespaceSelector).matchNames).map(String);
      const inScope = scopes.length > 0 ? scopes : [monitor.metadata.namespace ?? 'default'];
      const endpoints = list(spec.endpoints).map(record);
      const https = endpoints.length > 0 && endpoints.every((endpoint) => endpoint.scheme === 'https');
      for (const service of index.ofKind('Service')) {
        if (
          !inScope.includes(service.metadata.namespace ?? 'default') ||
          !labelsMatch(selector, strings(service.metadata.labels))
        )
          continue;
        const info = services.find(
          (s) => s.name === service.metadata.name && s.namespace === service.metadata.namespace,
        );
        for (const target of info ? backends(info) : []) {
          addEdge(
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

  return {
    stack: result.stack,
    nodes: [...nodes.values()].sort((a, b) => a.id.localeCompare(b.id)),
    edges: [...edges.values()].sort((a, b) => `${a.from}->${a.to}`.localeCompare(`${b.from}->${b.to}`)),
  };
}
