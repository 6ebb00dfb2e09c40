// A small stand-in for infra/index.ts: the same shapes (namespace, PostgreSQL, API, reconciler,
// optional firewall and gateway) so the tools are tested on a program whose answer we know.
import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';
import * as random from '@pulumi/random';
import * as tls from '@pulumi/tls';

const config = new pulumi.Config('secure-workshop');
const controls = new Set(config.getObject<string[]>('controls') ?? []);
const known = ['authn-jwt', 'tls-in-transit', 'db-tls', 'db-firewall', 'api-gateway'];
for (const id of controls) if (!known.includes(id)) throw new Error(`unknown control '${id}'`);
const has = (id: string): boolean => controls.has(id);
const namespace = `workshop-${pulumi.getStack()}`;
const provider = new k8s.Provider('k8s', { context: 'k3d-workshop' });
const opts = { provider };
const annotate = (...ids: string[]): Record<string, string> => {
  const active = ids.filter(has);
  return active.length > 0 ? { 'secure-workshop.dev/controls': active.join(',') } : {};
};
const meta = (name: string, ...ids: string[]) => ({
  name,
  namespace,
  labels: { app: name },
  annotations: annotate(...ids),
});
const container = (name: string, image: string, port: number, env: k8s.types.input.core.v1.EnvVar[]) => ({
  name,
  image,
  ports: [{ containerPort: port, name: 'main' }],
  env,
});
const deployment = (
  name: string,
  image: string,
  port: number,
  env: k8s.types.input.core.v1.EnvVar[],
  ...ids: string[]
) =>
  new k8s.apps.v1.Deployment(
    name,
    {
      metadata: meta(name, ...ids),
      spec: {
        selector: { matchLabels: { app: name } },
        template: {
          metadata: { labels: { app: name } },
          spec: { containers: [container(name, image, port, env)] },
        },
      },
    },
    opts,
  );
const service = (name: string, port: number, targetPort: number, ...ids: string[]) =>
  new k8s.core.v1.Service(
    name,
    {
      metadata: meta(name, ...ids),
      spec: { selector: { app: name }, ports: [{ port, targetPort, name: 'main' }] },
    },
    opts,
  );

new k8s.core.v1.Namespace('namespace', { metadata: { name: namespace } }, opts);
const dbPassword = new random.RandomPassword('db-password', { length: 24, special: false });
const caKey = new tls.PrivateKey('ca-key', { algorithm: 'ECDSA', ecdsaCurve: 'P256' });
new k8s.core.v1.Secret(
  'db-credentials',
  {
    metadata: meta('db-credentials', 'db-tls'),
    stringData: { password: has('db-tls') ? dbPassword.result : 'postgres' },
  },
  opts,
);
new k8s.apps.v1.StatefulSet(
  'postgres',
  {
    metadata: meta('postgres', 'db-tls'),
    spec: {
      serviceName: 'postgres',
      selector: { matchLabels: { app: 'postgres' } },
      template: {
        metadata: { labels: { app: 'postgres' } },
        spec: {
          containers: [
            {
              ...container('postgres', 'postgres:15.8', 5432, [
                { name: 'POSTGRES_PASSWORD', value: 'postgres' },
              ]),
              args: has('db-tls') ? ['-c', 'ssl=on'] : [],
            },
          ],
        },
      },
    },
  },
  opts,
);
service('postgres', 5432, 5432, 'db-tls');

const dbHost = has('db-firewall') ? 'jumpwire' : 'postgres';
const tlsEnv = has('tls-in-transit') ? [{ name: 'TLS_CERT_DIR', value: '/etc/tls' }] : [];
const dbEnv = [
  { name: 'PGHOST', value: dbHost },
  { name: 'PGSSLMODE', value: has('db-tls') ? 'verify-full' : 'disable' },
  { name: 'PGPASSWORD', valueFrom: { secretKeyRef: { name: 'db-credentials', key: 'password' } } },
];
const authEnv = [{ name: 'AUTH_MODE', value: has('authn-jwt') ? 'jwt' : 'none' }];
deployment(
  'api',
  'ghcr.io/example/api:1.0.0',
  3000,
  [...tlsEnv, ...dbEnv, ...authEnv],
  'tls-in-transit',
  'authn-jwt',
);
const apiPort = has('tls-in-transit') ? 443 : 80;
service('api', apiPort, 3000, 'tls-in-transit');

const scheme = has('tls-in-transit') ? 'https' : 'http';
new k8s.batch.v1.CronJob(
  'reconciler',
  {
    metadata: meta('reconciler', 'tls-in-transit'),
    spec: {
      schedule: '* * * * *',
      jobTemplate: {
        spec: {
          template: {
            spec: {
              restartPolicy: 'OnFailure',
              containers: [
                {
                  name: 'reconciler',
                  image: 'ghcr.io/example/reconciler:1.0.0',
                  env: [
                    { name: 'API_URL', value: `${scheme}://api` },
                    ...(has('authn-jwt')
                      ? [{ name: 'OAUTH_TOKEN_URL', value: `${scheme}://api/oauth/token` }]
                      : []),
                  ],
                },
              ],
            },
          },
        },
      },
    },
  },
  opts,
);

if (has('db-firewall')) {
  deployment(
    'jumpwire',
    'ghcr.io/extragoodlabs/jumpwire:4.0.0',
    5432,
    [{ name: 'PGHOST', value: 'postgres' }],
    'db-firewall',
  );
  service('jumpwire', 5432, 5432, 'db-firewall');
  new k8s.core.v1.Secret(
    'jumpwire-config',
    {
      metadata: meta('jumpwire-config', 'db-firewall'),
      stringData: { 'config.yaml': pulumi.interpolate`key: ${caKey.privateKeyPem}` },
    },
    opts,
  );
}
if (has('api-gateway')) {
  new k8s.apiextensions.CustomResource(
    'api-route',
    {
      apiVersion: 'traefik.io/v1alpha1',
      kind: 'IngressRoute',
      metadata: meta('api', 'api-gateway'),
      spec: {
        entryPoints: ['websecure'],
        routes: [
          {
            match: 'PathPrefix(`/`)',
            kind: 'Rule',
            middlewares: [{ name: 'jwt' }, { name: 'fail2ban' }],
            services: [{ name: 'api', port: apiPort, scheme }],
          },
        ],
        tls: { secretName: 'api-tls' },
      },
    },
    opts,
  );
  new k8s.helm.v3.Release(
    'monitoring',
    {
      chart: 'kube-prometheus-stack',
      version: '65.1.0',
      repositoryOpts: { repo: 'https://prometheus-community.github.io/helm-charts' },
      namespace: 'monitoring',
      values: { grafana: { adminPassword: dbPassword.result } },
    },
    opts,
  );
}
