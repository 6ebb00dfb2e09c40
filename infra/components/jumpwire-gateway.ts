// JumpWire 4.0.0 as a database firewall between the API and PostgreSQL, with a program-signed API credential.
import { createHash } from 'node:crypto';
import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';
import * as random from '@pulumi/random';
import { stringify as toYaml } from 'yaml';
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
  applied,
  caBundleVolume,
  literalEnv,
  objectMeta,
  secretEnv,
  workloadServiceAccount,
} from '../lib/workload';
import { type CertificateAuthority, serviceDnsNames } from './certificate-authority';
import { DATABASE, type DbClient, ROLE_NAMES, type TlsPostgres } from './tls-postgres';

type Volume = k8s.types.input.core.v1.Volume;
type VolumeMount = k8s.types.input.core.v1.VolumeMount;

export const JUMPWIRE_NAME = 'jumpwire';
export const JUMPWIRE_PORTS = { postgres: 5432, https: 4443, http: 4004, metrics: 9568 } as const;
/** uid for the JumpWire release; the image does not declare a user, so we choose a numeric one. */
export const JUMPWIRE_UID = 10002;
/** Validity of the API's credential, counted from its fixed signing time (JumpWire's own default is 10 years). */
export const CLIENT_TOKEN_MAX_AGE_SECONDS = 10 * 365 * 24 * 3600;
/** The signing time is drawn once from this window (2026-01-01 to 2026-07-01 UTC) and then kept in state. */
export const SIGNED_AT_WINDOW_MS = { min: 1_767_225_600_000, max: 1_782_864_000_000 } as const;

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
  /** Resources JumpWire must start after (the migrate Job: it reads the schema at start-up). */
  dependsOn?: pulumi.Input<pulumi.Resource>[];
}

export class JumpWireGateway extends pulumi.ComponentResource {
  public readonly serviceName: pulumi.Output<string>;
  public readonly manifestId: pulumi.Output<string>;
  public readonly clientId: pulumi.Output<string>;
  /** Secret holding the API's database login through JumpWire (username, password). */
  public readonly clientCredentialsSecretName: pulumi.Output<string>;
  public readonly deployment: k8s.apps.v1.Deployment;

  private readonly context: StackContext;
  private readonly provider: k8s.Provider;
  private readonly name: string;
  private readonly psqlImage: string;
  private readonly smokeTestPrerequisites: pulumi.Resource[];

  constructor(name: string, args: JumpWireGatewayArgs, opts?: pulumi.ComponentResourceOptions) {
    super('secure-workshop:index:JumpWireGateway', name, {}, opts);
    const { context } = args;
    this.context = context;
    this.provider = args.provider;
    this.name = name;
    if (!context.controls.has('db-firewall'))
      throw new Error('JumpWireGateway: the db-firewall control is off');
    if (!args.postgres.tls)
      throw new Error('JumpWireGateway: PostgreSQL must have db-tls on (the firewall connects with TLS)');
    const k8sOpts = { parent: this, provider: args.provider };
    const controls = () => applied(context).mark('db-firewall', 'generated-secrets');

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
    // Chosen once and kept in state, so the credential (and every later `pulumi up`) is stable.
    const signedAt = new random.RandomInteger(
      `${name}-client-signed-at`,
      { min: SIGNED_AT_WINDOW_MS.min, max: SIGNED_AT_WINDOW_MS.max, keepers: { clientId: client.result } },
      { parent: this },
    );
    this.manifestId = manifest.result;
    this.clientId = client.result;

    const secrets = new k8s.core.v1.Secret(
      `${name}-secrets`,
      {
        metadata: objectMeta(context, `${JUMPWIRE_NAME}-secrets`, JUMPWIRE_NAME, controls()),
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
      .all([manifest.result, client.result, args.postgres.passwords.owner])
      .apply(([manifestId, clientId, password]) =>
        renderJumpWireConfig({
          manifestId,
          clientId,
          postgresHost: args.postgres.host,
          postgresPort: args.postgres.port,
          database: DATABASE,
          username: ROLE_NAMES.owner,
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

    const token = pulumi
      .all([rootToken.result, client.result, signedAt.result])
      .apply(([secret, clientId, signedAtMs]) =>
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
        metadata: objectMeta(context, `${JUMPWIRE_NAME}-client-api`, 'api', controls()),
        type: 'Opaque',
        stringData: { username: manifest.result, password: pulumi.secret(token) },
      },
      k8sOpts,
    );
    this.clientCredentialsSecretName = clientCredentials.metadata.name;

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
            applied(context).mark('db-firewall'),
          ),
          // local-path binds on first consumer: waiting for Bound here would deadlock the Deployment.
          annotations: {
            ...applied(context).mark('db-firewall').annotations(),
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

    const podControls = applied(context).mark('db-firewall');
    const hardened = podControls.use('pod-hardening');
    const volumes: Volume[] = [
      { name: 'config', secret: { secretName: config.metadata.name, defaultMode: 0o440 } },
      { name: 'tls', secret: { secretName: `${JUMPWIRE_NAME}-tls`, defaultMode: 0o440 } },
      { name: 'keys', persistentVolumeClaim: { claimName: keys.metadata.name } },
    ];
    const mounts: VolumeMount[] = [
      { name: 'config', mountPath: CONFIG_DIR, readOnly: true },
      { name: 'tls', mountPath: TLS_DIR, readOnly: true },
      { name: 'keys', mountPath: KEYS_DIR },
    ];
    const tmp = scratchVolume('tmp', '/tmp');
    volumes.push(tmp.volume);
    mounts.push(tmp.mount);

    const dependsOn: pulumi.Input<pulumi.Resource>[] = [
      certificate,
      secrets,
      config,
      ...(args.dependsOn ?? []),
    ];
    if (hardened) {
      dependsOn.push(workloadServiceAccount(`${name}-service-account`, context, JUMPWIRE_NAME, k8sOpts));
    }
    const secretName = `${JUMPWIRE_NAME}-secrets`;
    const labels = objectMeta(context, JUMPWIRE_NAME, JUMPWIRE_NAME, podControls).labels;
    this.deployment = new k8s.apps.v1.Deployment(
      `${name}-deployment`,
      {
        metadata: objectMeta(context, JUMPWIRE_NAME, JUMPWIRE_NAME, podControls),
        spec: {
          replicas: 1,
          // One pod owns the key file on the ReadWriteOnce volume.
          strategy: { type: 'Recreate' },
          selector: { matchLabels: selectorLabels(JUMPWIRE_NAME) },
          template: {
            metadata: { labels, annotations: podControls.annotations() },
            spec: {
              ...(hardened ? { serviceAccountName: JUMPWIRE_NAME } : {}),
              automountServiceAccountToken: false,
              // Group-readable key and config files need the pod's group even without pod-hardening.
              securityContext: hardened
                ? restrictedPodSecurityContext({ user: JUMPWIRE_UID, fsGroup: JUMPWIRE_UID })
                : { fsGroup: JUMPWIRE_UID },
              containers: [
                {
                  name: JUMPWIRE_NAME,
                  image: args.image,
                  ports: [
                    { name: 'postgres', containerPort: JUMPWIRE_PORTS.postgres },
                    { name: 'https', containerPort: JUMPWIRE_PORTS.https },
                    { name: 'http', containerPort: JUMPWIRE_PORTS.http },
                    { name: 'metrics', containerPort: JUMPWIRE_PORTS.metrics },
                  ],
                  env: [
                    literalEnv('JUMPWIRE_CONFIG_PATH', CONFIG_DIR),
                    secretEnv('JUMPWIRE_ROOT_TOKEN', secretName, 'root-token'),
                    secretEnv('JUMPWIRE_ENCRYPTION_KEY', secretName, 'encryption-key'),
                    literalEnv('JUMPWIRE_ENCRYPTION_KEY_FILE', `${KEYS_DIR}/jumpwire_keys`),
                    secretEnv('RELEASE_COOKIE', secretName, 'erlang-cookie'),
                    literalEnv('JUMPWIRE_TLS_CERT', `${TLS_DIR}/tls.crt`),
                    literalEnv('JUMPWIRE_TLS_KEY', `${TLS_DIR}/tls.key`),
                    literalEnv('JUMPWIRE_TLS_CA', `${TLS_DIR}/ca.crt`),
                    literalEnv('JUMPWIRE_HTTP_PORT', String(JUMPWIRE_PORTS.http)),
                    literalEnv('JUMPWIRE_HTTPS_PORT', String(JUMPWIRE_PORTS.https)),
                    literalEnv('JUMPWIRE_POSTGRES_PROXY_PORT', String(JUMPWIRE_PORTS.postgres)),
                    literalEnv('JUMPWIRE_PROMETHEUS_PORT', String(JUMPWIRE_PORTS.metrics)),
                    literalEnv('JUMPWIRE_DISABLE_REPORTING', 'true'),
                    literalEnv('JUMPWIRE_FRONTEND', 'false'),
                    literalEnv('LOG_LEVEL', 'info'),
                    literalEnv('HOME', '/tmp'),
                    literalEnv('RELEASE_TMP', '/tmp'),
                  ],
                  volumeMounts: mounts,
                  ...httpProbes({ port: 'http', liveness: '/ping', readiness: '/ping' }),
                  ...(hardened
                    ? {
                        securityContext: restrictedContainerSecurityContext(),
                        resources: RESOURCE_PRESETS.medium,
                      }
                    : {}),
                },
              ],
              volumes,
            },
          },
        },
      },
      { ...k8sOpts, dependsOn },
    );

    const service = new k8s.core.v1.Service(
      `${name}-service`,
      {
        metadata: objectMeta(context, JUMPWIRE_NAME, JUMPWIRE_NAME, applied(context).mark('db-firewall')),
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

    this.psqlImage = args.psqlImage;
    this.smokeTestPrerequisites = [this.deployment, service, clientCredentials];

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
    const secretName = `${JUMPWIRE_NAME}-client-api`;
    return {
      env: [
        literalEnv('PGHOST', JUMPWIRE_NAME),
        literalEnv('PGPORT', String(JUMPWIRE_PORTS.postgres)),
        literalEnv('PGDATABASE', DATABASE),
        secretEnv('PGUSER', secretName, 'username'),
        secretEnv('PGPASSWORD', secretName, 'password'),
        literalEnv('PGSSLMODE', 'verify-full'),
        literalEnv('PGSSLROOTCERT', ca.file),
      ],
      volumes: [ca.volume],
      mounts: [ca.mount],
      user: this.manifestId,
    };
  }

  /**
   * A Job that logs in through JumpWire with psql in verify-full mode: proof the credential works.
   * Added once the schema exists (it queries `users`), so it takes the migrate Job as a dependency.
   */
  addSmokeTest(dependsOn: pulumi.Input<pulumi.Resource>[]): k8s.batch.v1.Job {
    const app = `${JUMPWIRE_NAME}-smoke-test`;
    const controls = applied(this.context).mark('db-firewall');
    const hardened = controls.use('pod-hardening');
    const client = this.clientForApi('/etc/smoke-test/ca');
    const tmp = scratchVolume('tmp', '/tmp');
    return new k8s.batch.v1.Job(
      `${this.name}-smoke-test`,
      {
        metadata: objectMeta(this.context, app, app, controls),
        spec: {
          backoffLimit: 6,
          template: {
            metadata: {
              labels: objectMeta(this.context, app, app, controls).labels,
              annotations: controls.annotations(),
            },
            spec: {
              restartPolicy: 'Never',
              automountServiceAccountToken: false,
              ...(hardened ? { securityContext: restrictedPodSecurityContext({ user: 70 }) } : {}),
              containers: [
                {
                  name: 'psql',
                  image: this.psqlImage,
                  command: [
                    'psql',
                    '--no-psqlrc',
                    '--set=ON_ERROR_STOP=1',
                    '--command=SELECT count(*) FROM users',
                  ],
                  env: [...client.env, literalEnv('HOME', '/tmp')],
                  volumeMounts: [...client.mounts, tmp.mount],
                  ...(hardened
                    ? {
                        securityContext: restrictedContainerSecurityContext(),
                        resources: RESOURCE_PRESETS.job,
                      }
                    : {}),
                },
              ],
              volumes: [...client.volumes, tmp.volume],
            },
          },
        },
      },
      {
        parent: this,
        provider: this.provider,
        dependsOn: [...this.smokeTestPrerequisites, ...dependsOn],
        deleteBeforeReplace: true,
      },
    );
  }
}
