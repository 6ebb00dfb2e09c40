// Each control turned on alone (on top of its requirements) against its requirements alone.
import { X509Certificate } from 'node:crypto';
import { parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import { clientTokenSignedAt } from '../components/jumpwire-gateway';
import { signJumpWireClientToken } from '../lib/jumpwire-credential';
import { type ProgramRun, objectName } from '../testing/mocks';
import {
  controlsOf,
  diffKubernetesObjects,
  envOf,
  kind,
  maybeObject,
  object,
  podSpec,
  runStack,
  workloads,
} from '../testing/stack-queries';
import { CONTROL_IDS, type ControlId, requirementsOf, withRequirements } from '@secure-workshop/contracts';

interface Pair {
  before: ProgramRun;
  after: ProgramRun;
}

const pairs = new Map<ControlId, Pair>();
async function pairFor(id: ControlId): Promise<Pair> {
  let pair = pairs.get(id);
  if (!pair) {
    const before = await runStack(`effect-${id}`, requirementsOf(id));
    const after = await runStack(`effect-${id}`, withRequirements(id));
    pair = { before, after };
    pairs.set(id, pair);
  }
  return pair;
}

describe.each(CONTROL_IDS)('control %s', (id) => {
  it('adds or changes Kubernetes objects, each annotated with it, and warns about nothing', async () => {
    const { before, after } = await pairFor(id);
    const diff = diffKubernetesObjects(before, after);
    expect(diff.added.length + diff.changed.length).toBeGreaterThan(0);
    // A patch sets a few fields of another object, which carries the annotation (the namespace).
    for (const resource of [...diff.added, ...diff.changed].filter((r) => !r.type.endsWith('Patch'))) {
      expect(controlsOf(resource.inputs), `${kind(resource)} ${objectName(resource)}`).toContain(id);
    }
    expect(after.warnings).toEqual([]);
  });
});

describe('what each control does', () => {
  it('authn-jwt: ES256 key, client registry, JWT mode, reconciler client credentials', async () => {
    const { before, after } = await pairFor('authn-jwt');
    expect(envOf(object(before, 'Deployment', 'api')).get('AUTH_MODE')?.value).toBe('none');
    const api = envOf(object(after, 'Deployment', 'api'));
    expect(api.get('AUTH_MODE')?.value).toBe('jwt');
    expect(api.get('JWT_PUBLIC_KEY_FILE')?.value).toBe('/etc/api/auth/jwt-public.pem');
    expect(api.get('OAUTH_CLIENTS_FILE')?.value).toBe('/etc/api/auth/oauth-clients.json');
    const auth = object(after, 'Secret', 'api-auth').stringData as Record<string, string>;
    expect(auth['jwt-private.pem']).toContain('BEGIN PRIVATE KEY');
    const clients = JSON.parse(auth['oauth-clients.json']!) as { clientId: string; secretSha256: string }[];
    expect(clients.map((client) => client.clientId)).toEqual(['reconciler', 'workshop']);
    for (const client of clients) expect(client.secretSha256).toMatch(/^[0-9a-f]{64}$/);
    const cron = envOf(object(after, 'CronJob', 'reconciler'));
    expect(cron.get('OAUTH_CLIENT_ID')?.value).toBe('reconciler');
    expect(cron.get('OAUTH_CLIENT_SECRET_FILE')?.value).toBe('/etc/reconciler/oauth/client-secret');
    expect(maybeObject(after, 'Secret', 'reconciler-oauth')).toBeDefined();
  });

  it('authz-scopes: the reconciler may only read', async () => {
    const { before, after } = await pairFor('authz-scopes');
    const scopes = (run: ProgramRun) =>
      (
        JSON.parse(
          (object(run, 'Secret', 'api-auth').stringData as Record<string, string>)['oauth-clients.json']!,
        ) as {
          clientId: string;
          scopes: string[];
        }[]
      ).find((client) => client.clientId === 'reconciler')!.scopes;
    expect(scopes(before)).toEqual(['read:user', 'modify:user', 'read:transaction', 'modify:transaction']);
    expect(scopes(after)).toEqual(['read:user', 'read:transaction']);
    expect(envOf(object(after, 'CronJob', 'reconciler')).get('OAUTH_SCOPE')?.value).toBe(
      'read:user read:transaction',
    );
  });

  it('tls-in-transit: CA, an issuer after cert-manager, an HTTPS API on 443 and a reconciler that pins the CA', async () => {
    const { before, after } = await pairFor('tls-in-transit');
    expect(maybeObject(before, 'ClusterIssuer', 'secure-workshop-effect-tls-in-transit-ca')).toBeUndefined();
    // cert-manager belongs to the add-ons stack: this stack reads its CRD and waits for it.
    expect(after.resources.filter((resource) => resource.type === 'kubernetes:helm.sh/v3:Release')).toEqual(
      [],
    );
    const certManager = after.resources.find((resource) => resource.name === 'addon-cert-manager')!;
    const issuerResource = after.resources.find((resource) => kind(resource) === 'ClusterIssuer')!;
    expect(issuerResource.dependencies).toContain(certManager.urn);
    const issuer = object(after, 'ClusterIssuer', 'secure-workshop-effect-tls-in-transit-ca');
    expect(issuer.spec).toEqual({ ca: { secretName: 'secure-workshop-effect-tls-in-transit-ca' } });
    const ca = new X509Certificate(
      (object(after, 'ConfigMap', 'workshop-ca').data as Record<string, string>)['ca.crt']!,
    );
    expect(ca.ca).toBe(true);
    const certificate = object(after, 'Certificate', 'api-tls').spec as Record<string, unknown>;
    expect(certificate).toMatchObject({
      secretName: 'api-tls',
      privateKey: { algorithm: 'ECDSA', size: 256 },
      duration: '720h',
      issuerRef: { kind: 'ClusterIssuer', name: 'secure-workshop-effect-tls-in-transit-ca' },
    });
    expect(certificate.dnsNames).not.toContain('localhost');
    const service = object(after, 'Service', 'api').spec as { ports: { name: string; port: number }[] };
    expect(service.ports[0]).toMatchObject({ name: 'https', port: 443 });
    expect(envOf(object(after, 'Deployment', 'api')).get('TLS_CERT_DIR')?.value).toBe('/etc/api/tls');
    const cron = envOf(object(after, 'CronJob', 'reconciler'));
    expect(cron.get('API_URL')?.value).toBe('https://api');
    expect(cron.get('TLS_CA_FILE')?.value).toBe('/etc/reconciler/ca/ca.crt');
  });

  it('db-tls: PostgreSQL TLS-only (hostssl, TLS 1.2+) with a root-owned 0640 key and verify-full clients', async () => {
    const { before, after } = await pairFor('db-tls');
    expect(podSpec(object(before, 'StatefulSet', 'postgres')).containers[0]!.args).toBeUndefined();
    const postgres = podSpec(object(after, 'StatefulSet', 'postgres'));
    expect(postgres.containers[0]!.args).toEqual(
      expect.arrayContaining(['ssl=on', 'ssl_min_protocol_version=TLSv1.2']),
    );
    expect(postgres.securityContext).toMatchObject({ fsGroup: 70 });
    expect(postgres.volumes).toContainEqual({
      name: 'tls',
      secret: { secretName: 'postgres-tls', defaultMode: 0o640 },
    });
    const hba = (object(after, 'ConfigMap', 'postgres-hba').data as Record<string, string>)['pg_hba.conf']!;
    expect(hba).toMatch(/^hostnossl\s+all\s+all\s+0\.0\.0\.0\/0\s+reject$/m);
    expect(hba).not.toMatch(/^host\s/m);
    for (const name of ['api', 'migrate']) {
      const workload = name === 'api' ? object(after, 'Deployment', name) : object(after, 'Job', name);
      expect(envOf(workload).get('PGSSLMODE')?.value, name).toBe('verify-full');
      expect(envOf(workload).get('PGSSLROOTCERT')?.value, name).toMatch(/ca\.crt$/);
    }
  });

  it('db-firewall: JumpWire config, a credential it accepts, the API behind it and a psql smoke test', async () => {
    const { after } = await pairFor('db-firewall');
    const deployment = podSpec(object(after, 'Deployment', 'jumpwire'));
    expect(deployment.containers[0]!.image).toMatch(
      /^ghcr\.io\/extragoodlabs\/jumpwire:4\.0\.0(@sha256:[0-9a-f]{64})?$/,
    );
    // The image's entrypoint steps down with sudo unless it already runs as `jumpwire` (uid 1000).
    expect(deployment.securityContext).toMatchObject({ runAsUser: 1000, fsGroup: 1000 });
    const env = envOf(object(after, 'Deployment', 'jumpwire'));
    expect(env.get('JUMPWIRE_DISABLE_REPORTING')?.value).toBe('true');
    expect(env.get('JUMPWIRE_ROOT_TOKEN')?.valueFrom).toEqual({
      secretKeyRef: { name: 'jumpwire-secrets', key: 'root-token' },
    });
    const config = parseYaml(
      (object(after, 'Secret', 'jumpwire-config').stringData as Record<string, string>)['jumpwire.yaml']!,
    ) as Record<string, { [field: string]: unknown }[]>;
    expect(config.proxy_schemas![0]!.fields).toEqual({
      credit_card: 'pci',
      email: 'pii',
      password_hash: 'secret',
    });
    expect(config.policies!.map((policy) => [policy.handling, policy.label])).toEqual([
      ['encrypt', 'pci'],
      ['drop_field', 'secret'],
    ]);
    expect(config.manifests![0]!.configuration).toMatchObject({
      hostname: 'postgres',
      ssl: true,
      port: 5432,
    });
    // Without generated-secrets too: its upstream login is a role the roles container creates.
    expect(config.manifests![0]!.credentials).toEqual({ username: 'bank_firewall', password: 'postgres' });
    const client = config.client_auth![0]!;
    expect(client.manifest_id).toBe(config.manifests![0]!.id);

    // The API's password is the token JumpWire computes from its root token for that client.
    const rootToken = after.resources.find((resource) => resource.name === 'jumpwire-root-token')!.state
      .result as string;
    const credentials = object(after, 'Secret', 'jumpwire-client-api').stringData as Record<string, string>;
    expect(credentials.username).toBe(config.manifests![0]!.id);
    // Signed at the start of the current 30-day period, valid for 90 days: re-signed by the next
    // `pulumi up` of a new period, never a ten-year credential.
    expect(credentials.password).toBe(
      signJumpWireClientToken({
        secret: rootToken,
        clientId: String(client.id),
        signedAtMs: clientTokenSignedAt(Date.now()),
        maxAgeSeconds: 90 * 24 * 3600,
      }),
    );

    const api = envOf(object(after, 'Deployment', 'api'));
    expect(api.get('PGHOST')?.value).toBe('jumpwire');
    // The manifest id in the clear, the token from a password file (no secret in the pod's env).
    expect(api.get('PGUSER')?.value).toBe(credentials.username);
    expect(api.get('PGPASSFILE')?.value).toBe('/etc/postgresql-client/pgpass');
    expect(api.has('PGPASSWORD')).toBe(false);
    expect(credentials.pgpass).toBe(`jumpwire:5432:*:${credentials.username}:${credentials.password}\n`);
    expect(api.get('PGPREPARE')?.value).toBe('off');
    const smoke = podSpec(object(after, 'Job', 'jumpwire-smoke-test')).containers[0]!;
    expect(String((smoke.command as string[])[2])).toContain('psql');
    expect(envOf(object(after, 'Job', 'jumpwire-smoke-test')).get('PGSSLMODE')?.value).toBe('verify-full');
  });

  it('security-headers: the API stops turning helmet off', async () => {
    const { before, after } = await pairFor('security-headers');
    expect(envOf(object(before, 'Deployment', 'api')).get('SECURITY_HEADERS')?.value).toBe('off');
    expect(envOf(object(after, 'Deployment', 'api')).has('SECURITY_HEADERS')).toBe(false);
  });

  it('pod-hardening: restricted namespace, non-root read-only pods without tokens, limits and probes', async () => {
    const { after } = await pairFor('pod-hardening');
    // The enforce label lands after the hardened workloads, so no old pod is judged by it.
    expect(object(after, 'Namespace', 'workshop-effect-pod-hardening').metadata?.labels).not.toHaveProperty(
      'pod-security.kubernetes.io/enforce',
    );
    expect(object(after, 'NamespacePatch', 'workshop-effect-pod-hardening').metadata?.labels).toMatchObject({
      'pod-security.kubernetes.io/enforce': 'restricted',
      'pod-security.kubernetes.io/enforce-version': 'v1.36',
    });
    const patch = after.resources.find((resource) => kind(resource) === 'NamespacePatch')!;
    for (const name of ['api-deployment', 'postgres-statefulset', 'reconciler-cronjob', 'migrate-job']) {
      const workload = after.resources.find((resource) => resource.name === name)!;
      expect(patch.dependencies, name).toContain(workload.urn);
    }
    for (const workload of workloads(after)) {
      const pod = podSpec(workload.object);
      expect(pod.securityContext, workload.name).toMatchObject({ runAsNonRoot: true });
      expect(pod.containers[0]!.securityContext, workload.name).toMatchObject({
        readOnlyRootFilesystem: true,
      });
      expect(pod.volumes, workload.name).toContainEqual(expect.objectContaining({ name: 'tmp' }));
    }
    const postgres = podSpec(object(after, 'StatefulSet', 'postgres'));
    expect(postgres.securityContext).toMatchObject({ runAsUser: 70, fsGroup: 70 });
    const accounts = after.resources.filter((resource) => kind(resource) === 'ServiceAccount');
    expect(accounts.map((account) => objectName(account)).sort()).toEqual(['api', 'postgres', 'reconciler']);
    for (const account of accounts) expect(account.inputs.automountServiceAccountToken).toBe(false);
  });

  it('network-policies: default deny, DNS, and only the architecture flows', async () => {
    const { before, after } = await pairFor('network-policies');
    expect(before.resources.filter((resource) => kind(resource) === 'NetworkPolicy')).toEqual([]);
    const names = after.resources.filter((resource) => kind(resource) === 'NetworkPolicy').map(objectName);
    expect(names.sort()).toEqual([
      'allow-api',
      'allow-dns',
      'allow-migrate',
      'allow-postgres',
      'allow-reconciler',
      'default-deny',
    ]);
    const postgres = object(after, 'NetworkPolicy', 'allow-postgres').spec as {
      ingress: { from: { podSelector: { matchLabels: Record<string, string> } }[] }[];
    };
    expect(
      postgres.ingress.map((rule) => rule.from[0]!.podSelector.matchLabels['app.kubernetes.io/name']),
    ).toEqual(['api', 'migrate']);
  });

  it('generated-secrets: generated passwords in a Secret, roles, no literal passwords', async () => {
    const { after } = await pairFor('generated-secrets');
    const passwords = after.resources.filter(
      (resource) => resource.type === 'random:index/randomPassword:RandomPassword',
    );
    expect(passwords.map((resource) => resource.name).sort()).toEqual([
      'postgres-app-password',
      'postgres-firewall-password',
      'postgres-owner-password',
      'postgres-superuser-password',
    ]);
    const postgres = envOf(object(after, 'StatefulSet', 'postgres'));
    expect(postgres.get('POSTGRES_PASSWORD_FILE')?.value).toBe(
      '/etc/postgresql/passwords/superuser-password',
    );
    expect(postgres.has('POSTGRES_PASSWORD')).toBe(false);
    const api = envOf(object(after, 'Deployment', 'api'));
    expect(api.get('PGUSER')?.value).toBe('bank_app');
    expect(api.get('PGPASSFILE')?.value).toBe('/etc/postgresql-client/app.pgpass');
    expect(api.has('PGPASSWORD')).toBe(false);
    const secret = object(after, 'Secret', 'postgres-credentials').stringData as Record<string, string>;
    expect(secret['app.pgpass']).toBe(`postgres:5432:*:bank_app:${secret['app-password']}\n`);
    expect(podSpec(object(after, 'Job', 'migrate')).securityContext).toMatchObject({ fsGroup: 10001 });
    expect(envOf(object(after, 'Job', 'migrate')).get('PGUSER')?.value).toBe('bank_owner');
    // The roles container applies them on every start, so a database from an earlier step gets them too.
    const roles = podSpec(object(after, 'StatefulSet', 'postgres')).containers.find(
      (c) => c.name === 'roles',
    )!;
    expect(roles.env).toContainEqual({
      name: 'APP_PASSWORD_FILE',
      value: '/etc/postgresql/passwords/app-password',
    });
    const annotations = (
      object(after, 'StatefulSet', 'postgres').spec as {
        template: { metadata: { annotations: Record<string, string> } };
      }
    ).template.metadata.annotations;
    expect(annotations['secure-workshop.dev/credentials-checksum']).toMatch(/^[0-9a-f]{64}$/);
  });

  it('observability: the API Service exposes the metrics port', async () => {
    const { before, after } = await pairFor('observability');
    const ports = (run: ProgramRun) =>
      (object(run, 'Service', 'api').spec as { ports: { name: string }[] }).ports.map((port) => port.name);
    expect(ports(before)).toEqual(['http']);
    expect(ports(after)).toEqual(['http', 'metrics']);
  });

  it('mtls-internal: the API requires client certificates and the reconciler presents one', async () => {
    const { after } = await pairFor('mtls-internal');
    expect(envOf(object(after, 'Deployment', 'api')).get('TLS_CLIENT_AUTH')?.value).toBe('require');
    expect(object(after, 'Certificate', 'reconciler-tls').spec).toMatchObject({
      usages: ['digital signature', 'key encipherment', 'client auth'],
    });
    expect(envOf(object(after, 'CronJob', 'reconciler')).get('TLS_CERT_DIR')?.value).toBe(
      '/etc/reconciler/tls',
    );
  });
});
