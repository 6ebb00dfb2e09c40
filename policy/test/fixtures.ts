// Hand-made Kubernetes objects shaped like the Pulumi program's inputs: a small hardened stack that
// every policy accepts, and helpers to break one thing in it.
import type { PolicyInputResource } from '../run';

export const namespace = 'workshop-test';

type Props = Record<string, unknown>;

export function resource(type: string, name: string, props: Props): PolicyInputResource {
  const kind = type.split(':').pop() ?? type;
  return { type, name, urn: `urn:pulumi:test::secure-workshop::${type}::${name}`, props: { kind, ...props } };
}

function meta(name: string, labels: Record<string, string> = { 'app.kubernetes.io/name': name }) {
  return { name, namespace, labels };
}

const hardenedContext = {
  allowPrivilegeEscalation: false,
  readOnlyRootFilesystem: true,
  runAsNonRoot: true,
  capabilities: { drop: ['ALL'] },
  seccompProfile: { type: 'RuntimeDefault' },
};

const resources = { requests: { cpu: '50m', memory: '64Mi' }, limits: { cpu: '500m', memory: '256Mi' } };
const probe = { httpGet: { path: '/healthz', port: 9464 } };

type Env = Record<string, string | { secret: string; key: string }>;

function container(name: string, image: string, env: Env, extra: Props = {}): Props {
  return {
    name,
    image,
    env: Object.entries(env).map(([key, value]) =>
      typeof value === 'string'
        ? { name: key, value }
        : { name: key, valueFrom: { secretKeyRef: { name: value.secret, key: value.key } } },
    ),
    securityContext: hardenedContext,
    resources,
    livenessProbe: probe,
    readinessProbe: probe,
    ...extra,
  };
}

function podSpec(containers: Props[], volumes: Props[] = []): Props {
  return { automountServiceAccountToken: false, securityContext: { runAsUser: 10001 }, containers, volumes };
}

function template(name: string, spec: Props): Props {
  return { metadata: { labels: { 'app.kubernetes.io/name': name } }, spec };
}

const pgClientEnv = (host: string): Env => ({
  PGHOST: host,
  PGPORT: '5432',
  PGSSLMODE: 'verify-full',
  PGSSLROOTCERT: '/etc/ca/ca.crt',
  PGPASSWORD: { secret: 'db-credentials', key: 'password' },
});

const selectorOf = (name: string) => ({ matchLabels: { 'app.kubernetes.io/name': name } });

function allowPolicy(name: string, spec: Props): PolicyInputResource {
  return resource('kubernetes:networking.k8s.io/v1:NetworkPolicy', `allow-${name}`, {
    metadata: meta(`allow-${name}`),
    spec: { podSelector: selectorOf(name), ...spec },
  });
}

const peer = (name: string) => ({ podSelector: selectorOf(name) });

export const traefikValuesContent = [
  'experimental:',
  '  plugins:',
  '    jwt: { moduleName: github.com/traefik-plugins/traefik-jwt-plugin, version: v0.10.0 }',
  '    fail2ban: { moduleName: github.com/tomMoulard/fail2ban, version: v0.9.0 }',
  'ports:',
  '  web: { redirectTo: { port: websecure } }',
  '',
].join('\n');

/** The hardened stack: every policy of the pack is silent on it. */
export function goodStack(): PolicyInputResource[] {
  return structuredClone(hardenedStack());
}

function hardenedStack(): PolicyInputResource[] {
  return [
    resource('kubernetes:core/v1:Namespace', 'namespace', {
      metadata: { name: namespace, labels: { 'pod-security.kubernetes.io/enforce': 'restricted' } },
    }),
    resource('kubernetes:apps/v1:Deployment', 'api', {
      metadata: meta('api'),
      spec: {
        selector: selectorOf('api'),
        template: template(
          'api',
          podSpec(
            [
              container(
                'api',
                'secure-workshop/api:0.1.0',
                {
                  PORT: '8443',
                  METRICS_PORT: '9464',
                  TLS_CERT_DIR: '/etc/api-tls',
                  TLS_CLIENT_AUTH: 'require',
                  JWT_PUBLIC_KEY_FILE: '/etc/jwt/public.pem',
                  OAUTH_CLIENTS_FILE: '/etc/api/auth/oauth-clients.json',
                  // A key's path inside a mounted Secret is a reference, not a literal.
                  TLS_KEY: '/etc/api-tls/tls.key',
                  ...pgClientEnv(`jumpwire.${namespace}.svc`),
                },
                {
                  volumeMounts: [
                    { name: 'tls', mountPath: '/etc/api-tls', readOnly: true },
                    { name: 'auth', mountPath: '/etc/api/auth', readOnly: true },
                  ],
                },
              ),
            ],
            [
              { name: 'tls', secret: { secretName: 'api-tls' } },
              { name: 'auth', secret: { secretName: 'api-auth' } },
              { name: 'tmp', emptyDir: {} },
            ],
          ),
        ),
      },
    }),
    resource('kubernetes:core/v1:Secret', 'api-auth', {
      metadata: meta('api-auth'),
      // As Kubernetes stores it: base64 in data.
      data: {
        'oauth-clients.json': Buffer.from(
          JSON.stringify([
            { clientId: 'reconciler', secretSha256: 'ab', scopes: ['read:user', 'read:transaction'] },
            { clientId: 'workshop', secretSha256: 'cd', scopes: ['read:user', 'modify:user'] },
          ]),
        ).toString('base64'),
      },
    }),
    resource('kubernetes:core/v1:Service', 'api-service', {
      metadata: meta('api'),
      spec: {
        selector: { 'app.kubernetes.io/name': 'api' },
        ports: [
          { name: 'https', port: 443, targetPort: 8443 },
          { name: 'metrics', port: 9464 },
        ],
      },
    }),
    resource('kubernetes:apps/v1:StatefulSet', 'postgres', {
      metadata: meta('postgres'),
      spec: {
        selector: selectorOf('postgres'),
        template: template(
          'postgres',
          podSpec(
            [
              container(
                'postgres',
                'postgres:16.4',
                { POSTGRES_PASSWORD_FILE: '/etc/postgres-secrets/password' },
                {
                  args: ['-c', 'ssl=on', '-c', 'hba_file=/etc/postgres/pg_hba.conf'],
                  volumeMounts: [{ name: 'config', mountPath: '/etc/postgres', readOnly: true }],
                },
              ),
            ],
            [
              { name: 'config', configMap: { name: 'postgres-config' } },
              { name: 'tls', secret: { secretName: 'postgres-tls', defaultMode: 0o640 } },
            ],
          ),
        ),
        volumeClaimTemplates: [{ metadata: { name: 'data' } }],
      },
    }),
    resource('kubernetes:core/v1:ConfigMap', 'postgres-config', {
      metadata: meta('postgres-config'),
      data: {
        'postgresql.conf': "ssl_min_protocol_version = 'TLSv1.2'\npassword_encryption = scram-sha-256\n",
        'pg_hba.conf': [
          'local all all scram-sha-256',
          'hostssl all all 0.0.0.0/0 scram-sha-256',
          'hostnossl all all 0.0.0.0/0 reject',
        ].join('\n'),
      },
    }),
    resource('kubernetes:core/v1:Service', 'postgres-service', {
      metadata: meta('postgres'),
      spec: { selector: { 'app.kubernetes.io/name': 'postgres' }, ports: [{ name: 'postgres', port: 5432 }] },
    }),
    resource('kubernetes:apps/v1:Deployment', 'jumpwire', {
      metadata: meta('jumpwire'),
      spec: {
        template: template(
          'jumpwire',
          podSpec([
            container('jumpwire', 'ghcr.io/extragoodlabs/jumpwire:4.0.0', {
              JUMPWIRE_CONFIG_PATH: '/etc/jw',
            }),
          ]),
        ),
      },
    }),
    resource('kubernetes:core/v1:Service', 'jumpwire-service', {
      metadata: meta('jumpwire'),
      spec: { selector: { 'app.kubernetes.io/name': 'jumpwire' }, ports: [{ name: 'postgres', port: 5432 }] },
    }),
    resource('kubernetes:batch/v1:Job', 'migrate', {
      metadata: meta('migrate'),
      spec: {
        template: template(
          'migrate',
          podSpec([
            container('migrate', 'secure-workshop/api:0.1.0', pgClientEnv(`postgres.${namespace}.svc`)),
          ]),
        ),
      },
    }),
    resource('kubernetes:batch/v1:CronJob', 'reconciler', {
      metadata: meta('reconciler'),
      spec: {
        schedule: '*/5 * * * *',
        jobTemplate: {
          spec: {
            template: template(
              'reconciler',
              podSpec([
                container('reconciler', 'secure-workshop/reconciler:0.1.0', {
                  API_URL: `https://api.${namespace}.svc`,
                  TLS_CA_FILE: '/etc/ca/ca.crt',
                  OAUTH_TOKEN_URL: `https://api.${namespace}.svc/oauth/token`,
                  OAUTH_CLIENT_ID: 'reconciler',
                  OAUTH_CLIENT_SECRET_FILE: '/etc/oauth/secret',
                  OAUTH_SCOPE: 'read:user read:transaction',
                }),
              ]),
            ),
          },
        },
      },
    }),
    resource('kubernetes:batch/v1:CronJob', 'backup', {
      metadata: meta('backup'),
      spec: {
        schedule: '0 3 * * *',
        jobTemplate: {
          spec: {
            template: template(
              'backup',
              podSpec(
                [
                  container('backup', 'secure-workshop/backup:0.1.0', {
                    ...pgClientEnv(`postgres.${namespace}.svc`),
                    BACKUP_DIR: '/backups',
                    BACKUP_KEY_FILE: '/etc/backup-key/key',
                  }),
                ],
                [
                  { name: 'key', secret: { secretName: 'backup-key' } },
                  { name: 'backups', persistentVolumeClaim: { claimName: 'backups' } },
                ],
              ),
            ),
          },
        },
      },
    }),
    resource('kubernetes:networking.k8s.io/v1:NetworkPolicy', 'default-deny', {
      metadata: meta('default-deny'),
      spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] },
    }),
    allowPolicy('api', {
      policyTypes: ['Ingress', 'Egress'],
      ingress: [
        { from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } } }] },
      ],
      egress: [{ to: [peer('jumpwire')] }],
    }),
    allowPolicy('postgres', {
      policyTypes: ['Ingress'],
      ingress: [{ from: [peer('jumpwire'), peer('migrate'), peer('backup')], ports: [{ port: 5432 }] }],
    }),
    allowPolicy('jumpwire', { policyTypes: ['Ingress'], ingress: [{ from: [peer('api')] }] }),
    allowPolicy('migrate', { policyTypes: ['Egress'], egress: [{ to: [peer('postgres')] }] }),
    allowPolicy('backup', { policyTypes: ['Egress'], egress: [{ to: [peer('postgres')] }] }),
    allowPolicy('reconciler', { policyTypes: ['Egress'], egress: [{ to: [peer('api')] }] }),
    resource('kubernetes:cert-manager.io/v1:Certificate', 'api-certificate', {
      apiVersion: 'cert-manager.io/v1',
      metadata: meta('api-tls'),
      spec: { privateKey: { algorithm: 'ECDSA', size: 256 }, duration: '2160h', renewBefore: '360h' },
    }),
    resource('tls:index/privateKey:PrivateKey', 'ca-key', { algorithm: 'ECDSA', ecdsaCurve: 'P256' }),
    resource('tls:index/selfSignedCert:SelfSignedCert', 'ca-cert', {
      isCaCertificate: true,
      validityPeriodHours: 87600,
    }),
    resource('kubernetes:helm.sh/v3:Release', 'cert-manager', {
      chart: 'cert-manager',
      version: 'v1.19.1',
      repositoryOpts: { repo: 'https://charts.jetstack.io' },
      values: {},
    }),
    resource('kubernetes:helm.cattle.io/v1:HelmChartConfig', 'traefik-config', {
      metadata: { name: 'traefik', namespace: 'kube-system' },
      spec: { valuesContent: traefikValuesContent },
    }),
    resource('kubernetes:traefik.io/v1alpha1:Middleware', 'fail2ban', {
      metadata: meta('fail2ban'),
      spec: { plugin: { fail2ban: { rules: { bantime: '3h', findtime: '10m', maxretry: 4 } } } },
    }),
    resource('kubernetes:traefik.io/v1alpha1:Middleware', 'jwt', {
      metadata: meta('jwt'),
      spec: {
        plugin: {
          'traefik-jwt-plugin': {
            Required: true,
            Alg: 'ES256',
            PayloadFields: ['exp', 'aud'],
            Keys: ['-----BEGIN PUBLIC KEY-----\nMFkw\n-----END PUBLIC KEY-----'],
          },
        },
      },
    }),
    resource('kubernetes:traefik.io/v1alpha1:Middleware', 'ratelimit', {
      metadata: meta('ratelimit'),
      spec: { rateLimit: { average: 20, burst: 40 } },
    }),
    resource('kubernetes:traefik.io/v1alpha1:TLSOption', 'tls-modern', {
      metadata: meta('tls-modern'),
      spec: { minVersion: 'VersionTLS12', sniStrict: true },
    }),
    resource('kubernetes:traefik.io/v1alpha1:ServersTransport', 'api-transport', {
      metadata: meta('api-transport'),
      spec: {
        serverName: `api.${namespace}.svc`,
        insecureSkipVerify: false,
        rootCAsSecrets: ['workshop-ca'],
      },
    }),
    resource('kubernetes:traefik.io/v1alpha1:IngressRoute', 'api-route', {
      metadata: meta('api'),
      spec: {
        entryPoints: ['websecure'],
        routes: [
          {
            kind: 'Rule',
            match: 'Host(`api.localhost`)',
            middlewares: [{ name: 'fail2ban' }, { name: 'jwt' }, { name: 'ratelimit' }],
            services: [{ name: 'api', port: 443 }],
          },
        ],
        tls: { secretName: 'ingress-tls', options: { name: 'tls-modern' } },
      },
    }),
    resource('kubernetes:traefik.io/v1alpha1:IngressRoute', 'token-route', {
      metadata: meta('api-token'),
      spec: {
        entryPoints: ['websecure'],
        routes: [
          {
            kind: 'Rule',
            match: 'Host(`api.localhost`) && Path(`/oauth/token`) && Method(`POST`)',
            middlewares: [{ name: 'fail2ban' }, { name: 'ratelimit' }],
            services: [{ name: 'api', port: 443 }],
          },
        ],
        tls: { secretName: 'ingress-tls', options: { name: 'tls-modern' } },
      },
    }),
    resource('kubernetes:monitoring.coreos.com/v1:ServiceMonitor', 'api-monitor', {
      metadata: meta('api'),
      spec: { selector: selectorOf('api'), endpoints: [{ port: 'metrics', interval: '30s' }] },
    }),
    resource('kubernetes:monitoring.coreos.com/v1:PrometheusRule', 'security-rules', {
      metadata: meta('security-rules'),
      spec: {
        groups: [
          {
            name: 'security',
            rules: [
              { alert: 'ApiAuthFailureSpike', expr: 'sum(rate(http_requests_total{status="401"}[5m])) > 1' },
              {
                alert: 'GatewayRateLimitSpike',
                expr: 'sum(rate(traefik_service_requests_total{code="429"}[5m])) > 5',
              },
              {
                alert: 'CertificateExpiringSoon',
                expr: 'certmanager_certificate_expiration_timestamp_seconds - time() < 604800',
              },
            ],
          },
        ],
      },
    }),
  ];
}

/** Finds a resource of a stack by its Pulumi name (fails loudly in a test when it is missing). */
export function byName(stack: PolicyInputResource[], name: string): PolicyInputResource {
  const found = stack.find((r) => r.name === name);
  if (!found) throw new Error(`fixture has no resource named ${name}`);
  return found;
}

/** The first container of a workload fixture, for mutation. */
export function firstContainer(workload: PolicyInputResource): Record<string, unknown> {
  const spec = workload.props.spec as Props;
  const pod = ((spec.jobTemplate as Props | undefined)?.spec as Props | undefined)?.template ?? spec.template;
  const containers = ((pod as Props).spec as Props).containers as Props[];
  const first = containers[0];
  if (!first) throw new Error(`${workload.name} has no container`);
  return first;
}

export function podSpecOfFixture(workload: PolicyInputResource): Props {
  const spec = workload.props.spec as Props;
  const pod = ((spec.jobTemplate as Props | undefined)?.spec as Props | undefined)?.template ?? spec.template;
  return (pod as Props).spec as Props;
}

/** Sets (or with `undefined` removes) an env variable on the first container. */
export function setEnv(workload: PolicyInputResource, name: string, value: string | undefined): void {
  const container = firstContainer(workload);
  const env = (container.env as Array<{ name: string; value?: string }>).filter(
    (entry) => entry.name !== name,
  );
  container.env = value === undefined ? env : [...env, { name, value }];
}
