// JumpWire 4.0.0 as a database firewall between the API and PostgreSQL, with a program-signed API credential.
//
// Runtime contract of ghcr.io/extragoodlabs/jumpwire:4.0.0 (github.com/extragoodlabs/jumpwire, tag 4.0.0):
// - Dockerfile: user `jumpwire` uid/gid 1000, home /opt/jumpwire, no USER line (starts as root),
//   CMD /usr/local/bin/entrypoint.sh; release/entrypoint.sh runs `sudo -u jumpwire` whenever
//   `whoami` is not `jumpwire`. So the pod runs as uid 1000 (no sudo, which no_new_privs would
//   stop), fsGroup 1000 for the Secret files and the key volume.
// - Writes only the key file JUMPWIRE_ENCRYPTION_KEY_FILE (a DETS file created on first start,
//   holding the data key encrypted with JUMPWIRE_ENCRYPTION_KEY): it must persist (a PVC) or earlier
//   ciphertext is lost. HOME must be set (Elixir expands ~/go at start) but is not written.
// - JUMPWIRE_CONFIG_PATH is a directory (every *.y{a,}ml under it), loaded once at start.
// - Ports: HTTP 4004 (GET /ping), HTTPS 4443, PostgreSQL proxy 5432, Prometheus 9568 (/metrics);
//   Erlang distribution listens on 4369 whatever we set (rel/env.sh.eex): NetworkPolicies keep it shut.
// - At start it alters every protected table (config/setup.ex enable_table) and, if it cannot,
//   passes rows through unlabelled: the upstream login must own `users` (tls-postgres.ts
//   FIREWALL_TABLE) and the smoke test checks that a card number really comes back encrypted.
// - The proxy labels result rows by the last RowDescription of the connection and does not track
//   named prepared statements: its clients must not use them (the API's PGPREPARE=off).
import { createHash } from 'node:crypto';
import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';
import * as random from '@pulumi/random';
import { stringify as toYaml } from 'yaml';
import { WAIVERS } from '../lib/checkov';
import { hasDigest } from '../lib/image-pins';
import { signJumpWireClientToken } from '../lib/jumpwire-credential';
import { selectorLabels } from '../lib/labels';
import {
  RESOURCE_PRESETS,
  httpProbes,
  restrictedContainerSecurityContext,
  restrictedPodSecurityContext,
  scratchVolume,
} from '../lib/pod-security';
import {
  type StackContext,
  controlTrail,
  caBundleVolume,
  literalEnv,
  objectMeta,
  secretEnv,
  workloadServiceAccount,
} from '../lib/workload';
import { type CertificateAuthority, serviceDnsNames } from './certificate-authority';
import {
  CLIENT_CREDENTIALS_DIR,
  DATABASE,
  type DbClient,
  ROLE_NAMES,
  type TlsPostgres,
  credentialsChecksum,
  passfileLine,
} from './tls-postgres';

type Volume = k8s.types.input.core.v1.Volume;
type VolumeMount = k8s.types.input.core.v1.VolumeMount;
type PodSpec = k8s.types.input.core.v1.PodSpec;

export const JUMPWIRE_NAME = 'jumpwire';
export const JUMPWIRE_PORTS = { postgres: 5432, https: 4443, http: 4004, metrics: 9568 } as const;
/** The image's `jumpwire` user (Dockerfile: `adduser -u 1000 -G jumpwire`): the only uid its entrypoint runs as. */
export const JUMPWIRE_UID = 1000;
/** The API's credential is re-signed in every new period at the next `pulumi up` ... */
export const CLIENT_TOKEN_PERIOD_SECONDS = 30 * 24 * 3600;
/** ... and stays valid for three periods from its signing time (JumpWire enforces the token's max age). */
export const CLIENT_TOKEN_MAX_AGE_SECONDS = 3 * CLIENT_TOKEN_PERIOD_SECONDS;
/** Rolls the pods that read JumpWire's configuration or credential when either changes. */
export const CONFIG_CHECKSUM_ANNOTATION = 'secure-workshop.dev/config-checksum';

/**
 * The signing time of the API's credential: the start of the current period, so every `pulumi up`
 * within a period produces the same token and the first one in a new period rotates it.
 */
export function clientTokenSignedAt(nowMs: number): number {
  const periodMs = CLIENT_TOKEN_PERIOD_SECONDS * 1000;
  return Math.floor(nowMs / periodMs) * periodMs;
}

/** Field labels for the `users` table: what the policies act on. */
export const USER_FIELD_LABELS = { credit_card: 'pci', email: 'pii', password_hash: 'secret' } as const;

const CONFIG_DIR = '/etc/jumpwire/config';
const TLS_DIR = '/etc/jumpwire/tls';
const KEYS_DIR = '/var/lib/jumpwire';

/** A UUID derived from a parent id and a purpose, so config ids are stable without more state. */
export function derivedUuid(parentId: string, purpose: string): string {
  const hex = createHash('sha256').update(`${parentId}/${purpose}`).digest('hex');
  const variant = ((parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

export interface JumpWireConfigInput {
  manifestId: string;
  clientId: string;
  postgresHost: string;
  postgresPort: number;
  database: string;
  username: string;
  password: string;
}

/** JumpWire's YAML configuration: the database manifest, field labels, the API client and two policies. */
export function jumpWireConfig(input: JumpWireConfigInput): Record<string, unknown> {
  return {
    manifests: [
      {
        id: input.manifestId,
        name: 'bank',
        root_type: 'postgresql',
        credentials: { username: input.username, password: input.password },
        configuration: {
          type: 'postgresql',
          database: input.database,
          hostname: input.postgresHost,
          port: input.postgresPort,
          ssl: true,
        },
      },
    ],
    proxy_schemas: [
      {
        id: derivedUuid(input.manifestId, 'schema/users'),
        name: 'users',
        manifest_id: input.manifestId,
        fields: { ...USER_FIELD_LABELS },
      },
    ],
    client_auth: [{ id: input.clientId, name: 'api', manifest_id: input.manifestId }],
    policies: [
      {
        id: derivedUuid(input.manifestId, 'policy/encrypt-pci'),
        version: 1,
        name: 'Encrypt payment card data',
        handling: 'encrypt',
        label: 'pci',
      },
      {
        id: derivedUuid(input.manifestId, 'policy/drop-secret'),
        version: 1,
        name: 'Never return secrets',
        handling: 'drop_field',
        label: 'secret',
      },
    ],
  };
}

export function renderJumpWireConfig(input: JumpWireConfigInput): string {
  return toYaml(jumpWireConfig(input));
}

export interface JumpWireGatewayArgs {
  context: StackContext;
  provider: k8s.Provider;
  image: string;
  /** psql for the smoke test (the PostgreSQL image carries it). */
  psqlImage: string;
  ca: CertificateAuthority;
  postgres: TlsPostgres;
  storageClassName?: string;
  /** JumpWire reads the schema at start: it starts after the migrate Job. */
  dependsOn: pulumi.Input<pulumi.Resource>[];
  /** Signing time of the API's credential (clientTokenSignedAt of now by default). */
  signedAtMs?: number;
}

export const JUMPWIRE_SECRET = `${JUMPWIRE_NAME}-secrets`;
export const JUMPWIRE_CLIENT_SECRET = `${JUMPWIRE_NAME}-client-api`;
export const SMOKE_TEST_NAME = `${JUMPWIRE_NAME}-smoke-test`;

/** JumpWire's pod: uid 1000 as its entrypoint requires, the key file on its volume, probes on /ping. */
export function jumpWirePodSpec(options: {
  image: string;
  hardened: boolean;
  configSecret: string;
}): PodSpec {
  const volumes: Volume[] = [
    { name: 'config', secret: { secretName: options.configSecret, defaultMode: 0o440 } },
    { name: 'tls', secret: { secretName: `${JUMPWIRE_NAME}-tls`, defaultMode: 0o440 } },
    { name: 'keys', persistentVolumeClaim: { claimName: `${JUMPWIRE_NAME}-keys` } },
  ];
  const mounts: VolumeMount[] = [
    { name: 'config', mountPath: CONFIG_DIR, readOnly: true },
    { name: 'tls', mountPath: TLS_DIR, readOnly: true },
    { name: 'keys', mountPath: KEYS_DIR },
  ];
  const tmp = scratchVolume('tmp', '/tmp');
  volumes.push(tmp.volume);
  mounts.push(tmp.mount);
  return {
    ...(options.hardened ? { serviceAccountName: JUMPWIRE_NAME } : {}),
    automountServiceAccountToken: false,
    // Group-readable key and config files need the pod's group even without pod-hardening.
    securityContext: options.hardened
      ? restrictedPodSecurityContext({ user: JUMPWIRE_UID, fsGroup: JUMPWIRE_UID })
      : { runAsUser: JUMPWIRE_UID, runAsGroup: JUMPWIRE_UID, fsGroup: JUMPWIRE_UID },
    containers: [
      {
        name: JUMPWIRE_NAME,
        image: options.image,
        ports: [
          { name: 'postgres', containerPort: JUMPWIRE_PORTS.postgres },
          { name: 'https', containerPort: JUMPWIRE_PORTS.https },
          { name: 'http', containerPort: JUMPWIRE_PORTS.http },
          { name: 'metrics', containerPort: JUMPWIRE_PORTS.metrics },
        ],
        env: [
          literalEnv('JUMPWIRE_CONFIG_PATH', CONFIG_DIR),
          secretEnv('JUMPWIRE_ROOT_TOKEN', JUMPWIRE_SECRET, 'root-token'),
          secretEnv('JUMPWIRE_ENCRYPTION_KEY', JUMPWIRE_SECRET, 'encryption-key'),
          literalEnv('JUMPWIRE_ENCRYPTION_KEY_FILE', `${KEYS_DIR}/jumpwire_keys`),
          secretEnv('RELEASE_COOKIE', JUMPWIRE_SECRET, 'erlang-cookie'),
          literalEnv('JUMPWIRE_TLS_CERT', `${TLS_DIR}/tls.crt`),
          literalEnv('JUMPWIRE_TLS_KEY', `${TLS_DIR}/tls.key`),
          literalEnv('JUMPWIRE_TLS_CA', `${TLS_DIR}/ca.crt`),
          literalEnv('JUMPWIRE_HTTP_PORT', String(JUMPWIRE_PORTS.http)),
          literalEnv('JUMPWIRE_HTTPS_PORT', String(JUMPWIRE_PORTS.https)),
          literalEnv('JUMPWIRE_POSTGRES_PROXY_PORT', String(JUMPWIRE_PORTS.postgres)),
          literalEnv('JUMPWIRE_PROMETHEUS_PORT', String(JUMPWIRE_PORTS.metrics)),
          // Usage reporting is on by default in release builds (config/prod.exs).
          literalEnv('JUMPWIRE_DISABLE_REPORTING', 'true'),
          literalEnv('JUMPWIRE_FRONTEND', 'false'),
          literalEnv('LOG_LEVEL', 'info'),
          literalEnv('HOME', '/tmp'),
        ],
        volumeMounts: mounts,
        ...httpProbes({ port: 'http', liveness: '/ping', readiness: '/ping' }),
        ...(options.hardened
          ? { securityContext: restrictedContainerSecurityContext(), resources: RESOURCE_PRESETS.medium }
          : {}),
      },
    ],
    volumes,
  };
}

/**
 * The smoke test: logs in through JumpWire with the API's credential (verify-full) and reads one
 * user. It passes only when the firewall really protects the row: the card number comes back as
 * JumpWire ciphertext and the password hash is dropped. A firewall that passes data through (its
 * fail-open start, see the contract above) fails the deployment instead of going unnoticed.
 */
export function smokeTestScript(): string {
  return `set -eu
# libpq ignores a password file others can read; the Secret's is group-readable: take a private copy.
install -m 0600 "$PGPASSFILE" /tmp/pgpass
export PGPASSFILE=/tmp/pgpass
row=$(psql --no-psqlrc --no-align --tuples-only --set=ON_ERROR_STOP=1 \\
  --command='SELECT credit_card, password_hash FROM users ORDER BY id LIMIT 1')
case "$row" in
  jumpwire_*'|') echo '{"smokeTest":"passed","credit_card":"encrypted","password_hash":"dropped"}' ;;
  *) echo '{"smokeTest":"failed","reason":"the firewall returned a row it should have protected"}' >&2; exit 1 ;;
esac
`;
}

/** uid of the smoke test: psql needs no user of the image, and a high uid shares nothing with the node. */
export const SMOKE_TEST_UID = 10001;

export function smokeTestPodSpec(options: { image: string; hardened: boolean; client: DbClient }): PodSpec {
  const tmp = scratchVolume('tmp', '/tmp');
  return {
    restartPolicy: 'Never',
    automountServiceAccountToken: false,
    securityContext: options.hardened
      ? restrictedPodSecurityContext({ user: SMOKE_TEST_UID, fsGroup: SMOKE_TEST_UID })
      : { runAsUser: SMOKE_TEST_UID, runAsGroup: SMOKE_TEST_UID, fsGroup: SMOKE_TEST_UID },
    containers: [
      {
        name: 'psql',
        image: options.image,
        command: ['sh', '-c', smokeTestScript()],
        env: [...options.client.env, literalEnv('HOME', '/tmp')],
        volumeMounts: [...options.client.mounts, tmp.mount],
        ...(options.hardened
          ? { securityContext: restrictedContainerSecurityContext(), resources: RESOURCE_PRESETS.job }
          : {}),
      },
    ],
    volumes: [...options.client.volumes, tmp.volume],
  };
}

export class JumpWireGateway extends pulumi.ComponentResource {
  public readonly serviceName: pulumi.Output<string>;
  public readonly manifestId: pulumi.Output<string>;
  public readonly clientId: pulumi.Output<string>;
  /** Secret holding the API's database login through JumpWire (username, password). */
  public readonly clientCredentialsSecretName: pulumi.Output<string>;
  /** A checksum of the API's credential: the API's pods roll when it is re-signed. */
  public readonly clientCredentialsChecksum: pulumi.Output<string>;
  public readonly deployment: k8s.apps.v1.Deployment;
  /** Succeeds only once a row read through the firewall comes back protected. */
  public readonly smokeTest: k8s.batch.v1.Job;

  constructor(name: string, args: JumpWireGatewayArgs, opts?: pulumi.ComponentResourceOptions) {
    super('secure-workshop:index:JumpWireGateway', name, {}, opts);
    const { context } = args;
    if (!context.controls.has('db-firewall'))
      throw new Error('JumpWireGateway: the db-firewall control is off');
    if (!args.postgres.tls)
      throw new Error('JumpWireGateway: PostgreSQL must have db-tls on (the firewall connects with TLS)');
    const k8sOpts = { parent: this, provider: args.provider };
    const controls = () => controlTrail(context).record('db-firewall', 'generated-secrets');

    const manifest = new random.RandomUuid(`${name}-manifest-id`, {}, { parent: this });
    const client = new random.RandomUuid(`${name}-client-id`, {}, { parent: this });
    const rootToken = new random.RandomPassword(
      `${name}-root-token`,
      { length: 64, special: false },
      { parent: this },
    );
    const encryptionKey = new random.RandomId(`${name}-encryption-key`, { byteLength: 32 }, { parent: this });
    const cookie = new random.RandomPassword(
      `${name}-erlang-cookie`,
      { length: 64, special: false },
      { parent: this },
    );
    this.manifestId = manifest.result;
    this.clientId = client.result;

    const secrets = new k8s.core.v1.Secret(
      `${name}-secrets`,
      {
        metadata: objectMeta(context, JUMPWIRE_SECRET, JUMPWIRE_NAME, controls()),
        type: 'Opaque',
        stringData: {
          'root-token': rootToken.result,
          'encryption-key': encryptionKey.b64Std,
          'erlang-cookie': cookie.result,
        },
      },
      k8sOpts,
    );

    const configYaml = pulumi
      .all([manifest.result, client.result, args.postgres.passwords.firewall])
      .apply(([manifestId, clientId, password]) =>
        renderJumpWireConfig({
          manifestId,
          clientId,
          postgresHost: args.postgres.host,
          postgresPort: args.postgres.port,
          database: DATABASE,
          username: ROLE_NAMES.firewall,
          password,
        }),
      );
    const config = new k8s.core.v1.Secret(
      `${name}-config`,
      {
        metadata: objectMeta(context, `${JUMPWIRE_NAME}-config`, JUMPWIRE_NAME, controls()),
        type: 'Opaque',
        stringData: { 'jumpwire.yaml': pulumi.secret(configYaml) },
      },
      k8sOpts,
    );

    const signedAtMs = args.signedAtMs ?? clientTokenSignedAt(Date.now());
    const token = pulumi.all([rootToken.result, client.result]).apply(([secret, clientId]) =>
      signJumpWireClientToken({
        secret,
        clientId,
        signedAtMs,
        maxAgeSeconds: CLIENT_TOKEN_MAX_AGE_SECONDS,
      }),
    );
    const clientCredentials = new k8s.core.v1.Secret(
      `${name}-client-credentials`,
      {
        metadata: objectMeta(context, JUMPWIRE_CLIENT_SECRET, 'api', controls()),
        type: 'Opaque',
        // The password also as a libpq password file line: the API reads it from a file (PGPASSFILE).
        stringData: {
          username: manifest.result,
          password: pulumi.secret(token),
          pgpass: pulumi.secret(
            pulumi
              .all([manifest.result, token])
              .apply(([manifestId, value]) =>
                passfileLine(JUMPWIRE_NAME, JUMPWIRE_PORTS.postgres, manifestId, value),
              ),
          ),
        },
      },
      k8sOpts,
    );
    this.clientCredentialsSecretName = clientCredentials.metadata.name;
    // Secret like the credential it is computed from (and masked in offline renders).
    this.clientCredentialsChecksum = pulumi.secret(
      pulumi.all([manifest.result, token]).apply((values) => credentialsChecksum(values)),
    );

    const certificate = args.ca.certificate(
      `${name}-certificate`,
      {
        secretName: `${JUMPWIRE_NAME}-tls`,
        dnsNames: serviceDnsNames(JUMPWIRE_NAME, context.namespace),
        usage: 'server',
        app: JUMPWIRE_NAME,
        controls: ['db-firewall', 'db-tls'],
      },
      this,
    );

    const keys = new k8s.core.v1.PersistentVolumeClaim(
      `${name}-keys`,
      {
        metadata: {
          ...objectMeta(
            context,
            `${JUMPWIRE_NAME}-keys`,
            JUMPWIRE_NAME,
            controlTrail(context).record('db-firewall'),
          ),
          // local-path binds on first consumer: waiting for Bound here would deadlock the Deployment.
          annotations: {
            ...controlTrail(context).record('db-firewall').annotations(),
            'pulumi.com/skipAwait': 'true',
          },
        },
        spec: {
          accessModes: ['ReadWriteOnce'],
          ...(args.storageClassName ? { storageClassName: args.storageClassName } : {}),
          resources: { requests: { storage: '64Mi' } },
        },
      },
      k8sOpts,
    );

    const podControls = controlTrail(context).record('db-firewall');
    const hardened = podControls.ifOn('pod-hardening');
    const dependsOn: pulumi.Input<pulumi.Resource>[] = [
      certificate,
      secrets,
      config,
      keys,
      ...args.dependsOn,
    ];
    if (hardened) {
      dependsOn.push(workloadServiceAccount(`${name}-service-account`, context, JUMPWIRE_NAME, k8sOpts));
    }
    const meta = objectMeta(context, JUMPWIRE_NAME, JUMPWIRE_NAME, podControls, [
      WAIVERS.pullPolicy,
      ...(hasDigest(args.image) ? [] : [WAIVERS.jumpwireDigest]),
      WAIVERS.jumpwireEnvSecrets,
      WAIVERS.jumpwireUid,
    ]);
    const configChecksum = pulumi.secret(
      pulumi
        .all([configYaml, rootToken.result, encryptionKey.b64Std, cookie.result])
        .apply((values) => credentialsChecksum(values)),
    );
    this.deployment = new k8s.apps.v1.Deployment(
      `${name}-deployment`,
      {
        metadata: meta,
        spec: {
          replicas: 1,
          // One pod owns the key file on the ReadWriteOnce volume.
          strategy: { type: 'Recreate' },
          selector: { matchLabels: selectorLabels(JUMPWIRE_NAME) },
          template: {
            metadata: {
              labels: meta.labels,
              // Only the checksum is an Output (a secret): the controls beside it stay readable.
              annotations: { ...podControls.annotations(), [CONFIG_CHECKSUM_ANNOTATION]: configChecksum },
            },
            spec: jumpWirePodSpec({
              image: args.image,
              hardened,
              configSecret: `${JUMPWIRE_NAME}-config`,
            }),
          },
        },
      },
      { ...k8sOpts, dependsOn },
    );

    const service = new k8s.core.v1.Service(
      `${name}-service`,
      {
        metadata: objectMeta(
          context,
          JUMPWIRE_NAME,
          JUMPWIRE_NAME,
          controlTrail(context).record('db-firewall'),
        ),
        spec: {
          type: 'ClusterIP',
          selector: selectorLabels(JUMPWIRE_NAME),
          ports: [
            { name: 'postgres', port: JUMPWIRE_PORTS.postgres, targetPort: 'postgres', protocol: 'TCP' },
            { name: 'https', port: JUMPWIRE_PORTS.https, targetPort: 'https', protocol: 'TCP' },
            { name: 'metrics', port: JUMPWIRE_PORTS.metrics, targetPort: 'metrics', protocol: 'TCP' },
          ],
        },
      },
      k8sOpts,
    );
    this.serviceName = service.metadata.name;

    const smokeControls = controlTrail(context).record('db-firewall');
    smokeControls.ifOn('pod-hardening');
    const smokeMeta = objectMeta(context, SMOKE_TEST_NAME, SMOKE_TEST_NAME, smokeControls, [
      WAIVERS.pullPolicy,
    ]);
    this.smokeTest = new k8s.batch.v1.Job(
      `${name}-smoke-test`,
      {
        metadata: smokeMeta,
        spec: {
          backoffLimit: 6,
          template: {
            metadata: { labels: smokeMeta.labels, annotations: smokeControls.annotations() },
            spec: smokeTestPodSpec({
              image: args.psqlImage,
              hardened,
              client: this.clientForApi('/etc/smoke-test/ca'),
            }),
          },
        },
      },
      { ...k8sOpts, dependsOn: [this.deployment, service, clientCredentials], deleteBeforeReplace: true },
    );

    this.registerOutputs({
      serviceName: this.serviceName,
      manifestId: this.manifestId,
      clientId: this.clientId,
      clientCredentialsSecretName: this.clientCredentialsSecretName,
    });
  }

  /** How the API connects: through the firewall, TLS verify-full, with the program-signed credential. */
  clientForApi(caMountPath: string): DbClient {
    const ca = caBundleVolume(caMountPath);
    return {
      host: JUMPWIRE_NAME,
      port: JUMPWIRE_PORTS.postgres,
      database: DATABASE,
      user: this.manifestId,
      tls: true,
      env: [
        literalEnv('PGHOST', JUMPWIRE_NAME),
        literalEnv('PGPORT', String(JUMPWIRE_PORTS.postgres)),
        literalEnv('PGDATABASE', DATABASE),
        // The manifest id is an identifier, not a secret; the token is read from a file.
        { name: 'PGUSER', value: this.manifestId },
        literalEnv('PGPASSFILE', `${CLIENT_CREDENTIALS_DIR}/pgpass`),
        literalEnv('PGSSLMODE', 'verify-full'),
        literalEnv('PGSSLROOTCERT', ca.file),
      ],
      volumes: [
        {
          name: 'db-credentials',
          secret: {
            secretName: JUMPWIRE_CLIENT_SECRET,
            defaultMode: 0o440,
            items: [{ key: 'pgpass', path: 'pgpass' }],
          },
        },
        ca.volume,
      ],
      mounts: [{ name: 'db-credentials', mountPath: CLIENT_CREDENTIALS_DIR, readOnly: true }, ca.mount],
      credentialsChecksum: this.clientCredentialsChecksum,
    };
  }
}
