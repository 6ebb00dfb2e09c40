// The bank API: Deployment, Service, and the auth material its controls call for.
import { createHash } from 'node:crypto';
import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';
import * as random from '@pulumi/random';
import * as tls from '@pulumi/tls';
import { WAIVERS } from '../lib/checkov';
import { type ControlTrail, selectorLabels } from '../lib/labels';
import { containerHardening, httpProbes, podSecurity, scratchVolume } from '../lib/pod-security';
import {
  type StackContext,
  controlTrail,
  literalEnv,
  objectMeta,
  tlsSecretVolume,
  workloadServiceAccount,
} from '../lib/workload';
import {
  ALL_SCOPES,
  API_PORTS,
  type ControlId,
  type ControlSet,
  JWT_AUDIENCE,
  OAUTH_CLIENTS,
  RECONCILER_SCOPES,
} from '@secure-workshop/contracts';
import { type CertificateAuthority, serviceDnsNames } from './certificate-authority';
import type { DbClient } from './tls-postgres';

type EnvVar = k8s.types.input.core.v1.EnvVar;
type Volume = k8s.types.input.core.v1.Volume;
type VolumeMount = k8s.types.input.core.v1.VolumeMount;
type PodSpec = k8s.types.input.core.v1.PodSpec;

export const API_NAME = 'api';
export const API_UID = 10001;
/**
 * The API's switch for postgres.js named prepared statements: JumpWire 4.0.0 labels rows by the last
 * RowDescription and does not track named statements, so behind it every query goes unnamed.
 */
export const PREPARED_STATEMENTS_ENV = 'PGPREPARE';
/** Rolls the API's pods when its database credential changes (a rotation, a re-signed token). */
export const DB_CREDENTIALS_CHECKSUM_ANNOTATION = 'secure-workshop.dev/db-credentials-checksum';
/** The OAuth clients the API registers: the reconciler (least privilege) and the attendee's own. */
export const RECONCILER_CLIENT_ID = OAUTH_CLIENTS.reconciler;
export const WORKSHOP_CLIENT_ID = OAUTH_CLIENTS.workshop;

const AUTH_DIR = '/etc/api/auth';
const TLS_DIR = '/etc/api/tls';

export interface OAuthClient {
  clientId: string;
  secret: string;
  scopes: readonly string[];
}

/** OAUTH_CLIENTS_FILE content: only SHA-256 digests of the secrets reach the API. */
export function oauthClientsFile(clients: readonly OAuthClient[]): string {
  return JSON.stringify(
    clients.map((client) => ({
      clientId: client.clientId,
      secretSha256: createHash('sha256').update(client.secret).digest('hex'),
      scopes: [...client.scopes],
    })),
  );
}

/** The reconciler's scope ceiling: least privilege under authz-scopes, everything otherwise. */
export function reconcilerScopes(controls: ReadonlySet<ControlId>): readonly string[] {
  return controls.has('authz-scopes') ? RECONCILER_SCOPES : ALL_SCOPES;
}

export interface ApiEndpoint {
  scheme: 'http' | 'https';
  containerPort: number;
  servicePort: number;
  portName: 'http' | 'https';
}

export function apiEndpoint(controls: ReadonlySet<ControlId>): ApiEndpoint {
  return controls.has('tls-in-transit')
    ? { scheme: 'https', containerPort: API_PORTS.https, servicePort: 443, portName: 'https' }
    : { scheme: 'http', containerPort: API_PORTS.http, servicePort: 80, portName: 'http' };
}

export function jwtIssuer(namespace: string): string {
  return `https://${API_NAME}.${namespace}.svc`;
}

export interface SecureApiArgs {
  context: StackContext;
  provider: k8s.Provider;
  image: string;
  /** How the API reaches the database (PostgreSQL directly, or the firewall). */
  database: DbClient;
  /** Required with tls-in-transit. */
  ca?: CertificateAuthority;
  /** Resources the API must wait for (the migration, the firewall's smoke test). */
  dependsOn?: pulumi.Input<pulumi.Resource>[];
}

export const AUTH_SECRET = `${API_NAME}-auth`;

export interface ApiPodOptions {
  image: string;
  controls: ControlSet;
  /** How the API reaches the database (PostgreSQL directly, or the firewall). */
  database: DbClient;
  jwtIssuer: string;
  /** Records the controls that shape the pod (its annotations). */
  trail: ControlTrail;
}

/** The API's pod as its controls shape it: listeners, auth files, TLS, headers, database, hardening. */
export function apiPodSpec(options: ApiPodOptions): PodSpec {
  const { trail } = options;
  const endpoint = apiEndpoint(options.controls);
  const hardened = trail.ifOn('pod-hardening');
  const env: EnvVar[] = [
    literalEnv('HOST', '0.0.0.0'),
    literalEnv('PORT', String(endpoint.containerPort)),
    literalEnv('METRICS_PORT', String(API_PORTS.metrics)),
    literalEnv('LOG_LEVEL', 'info'),
  ];
  const volumes: Volume[] = [...options.database.volumes];
  const mounts: VolumeMount[] = [...options.database.mounts];
  if (options.database.tls) trail.record('db-tls');
  trail.record('db-firewall', 'generated-secrets');

  if (trail.ifOn('authn-jwt')) {
    trail.record('authz-scopes');
    volumes.push({ name: 'auth', secret: { secretName: AUTH_SECRET, defaultMode: 0o440 } });
    mounts.push({ name: 'auth', mountPath: AUTH_DIR, readOnly: true });
    env.push(
      literalEnv('AUTH_MODE', 'jwt'),
      literalEnv('JWT_PUBLIC_KEY_FILE', `${AUTH_DIR}/jwt-public.pem`),
      literalEnv('JWT_PRIVATE_KEY_FILE', `${AUTH_DIR}/jwt-private.pem`),
      literalEnv('JWT_ISSUER', options.jwtIssuer),
      literalEnv('JWT_AUDIENCE', JWT_AUDIENCE),
      literalEnv('OAUTH_CLIENTS_FILE', `${AUTH_DIR}/oauth-clients.json`),
    );
  } else {
    // The workshop's starting point: anyone who reaches the API may do anything.
    env.push(literalEnv('AUTH_MODE', 'none'));
  }

  if (trail.ifOn('tls-in-transit')) {
    const certificate = tlsSecretVolume('tls', `${API_NAME}-tls`, TLS_DIR);
    volumes.push(certificate.volume);
    mounts.push(certificate.mount);
    env.push(literalEnv('TLS_CERT_DIR', TLS_DIR));
    if (trail.ifOn('mtls-internal')) env.push(literalEnv('TLS_CLIENT_AUTH', 'require'));
  }

  if (!trail.ifOn('security-headers')) env.push(literalEnv('SECURITY_HEADERS', 'off'));
  env.push(...options.database.env);
  if (options.controls.has('db-firewall')) env.push(literalEnv(PREPARED_STATEMENTS_ENV, 'off'));
  if (hardened) {
    const tmp = scratchVolume('tmp', '/tmp');
    volumes.push(tmp.volume);
    mounts.push(tmp.mount);
  }

  return {
    ...(hardened ? { serviceAccountName: API_NAME, automountServiceAccountToken: false } : {}),
    ...podSecurity(
      hardened,
      { user: API_UID, fsGroup: API_UID },
      volumes.some((volume) => volume.secret !== undefined),
    ),
    containers: [
      {
        name: API_NAME,
        image: options.image,
        ports: [
          { name: endpoint.portName, containerPort: endpoint.containerPort },
          { name: 'metrics', containerPort: API_PORTS.metrics },
        ],
        env,
        volumeMounts: mounts,
        ...containerHardening(hardened, 'small', API_UID),
        // Probes use the plain metrics listener: kubelet has no client certificate.
        ...(hardened ? httpProbes({ port: 'metrics', liveness: '/healthz', readiness: '/readyz' }) : {}),
      },
    ],
    volumes,
  };
}

export class SecureApi extends pulumi.ComponentResource {
  public readonly serviceName: pulumi.Output<string>;
  public readonly url: string;
  public readonly tokenUrl: string;
  public readonly endpoint: ApiEndpoint;
  public readonly jwtIssuer: string;
  public readonly jwtAudience = JWT_AUDIENCE;
  /** ES256 verification key (PEM) for the gateway; undefined without authn-jwt. */
  public readonly jwtPublicKeyPem: pulumi.Output<string> | undefined;
  /** The reconciler's client secret; undefined without authn-jwt. */
  public readonly reconcilerClientSecret: pulumi.Output<string> | undefined;
  /** A client with every scope for people working through the exercises. */
  public readonly workshopClientSecret: pulumi.Output<string> | undefined;
  public readonly deployment: k8s.apps.v1.Deployment;

  constructor(name: string, args: SecureApiArgs, opts?: pulumi.ComponentResourceOptions) {
    super('secure-workshop:index:SecureApi', name, {}, opts);
    const { context } = args;
    const has = (id: ControlId) => context.controls.has(id);
    if (has('tls-in-transit') && !args.ca)
      throw new Error('SecureApi: tls-in-transit needs a CertificateAuthority (args.ca)');
    const k8sOpts = { parent: this, provider: args.provider };
    this.endpoint = apiEndpoint(context.controls);
    this.url = `${this.endpoint.scheme}://${API_NAME}`;
    this.tokenUrl = `${this.url}/oauth/token`;
    this.jwtIssuer = jwtIssuer(context.namespace);

    const podControls = controlTrail(context);
    const dependsOn: pulumi.Input<pulumi.Resource>[] = [...(args.dependsOn ?? [])];

    // Authentication: ES256 signing key, token endpoint, client registry.
    if (has('authn-jwt')) {
      const signingKey = new tls.PrivateKey(
        `${name}-jwt-key`,
        { algorithm: 'ECDSA', ecdsaCurve: 'P256' },
        { parent: this },
      );
      const clientSecret = (client: string) =>
        new random.RandomPassword(
          `${name}-${client}-client-secret`,
          { length: 48, special: false },
          { parent: this },
        ).result;
      this.reconcilerClientSecret = clientSecret(RECONCILER_CLIENT_ID);
      this.workshopClientSecret = clientSecret(WORKSHOP_CLIENT_ID);
      this.jwtPublicKeyPem = signingKey.publicKeyPem;
      const clients = pulumi
        .all([this.reconcilerClientSecret, this.workshopClientSecret])
        .apply(([reconciler, workshop]) =>
          oauthClientsFile([
            {
              clientId: RECONCILER_CLIENT_ID,
              secret: reconciler,
              scopes: reconcilerScopes(context.controls),
            },
            { clientId: WORKSHOP_CLIENT_ID, secret: workshop, scopes: ALL_SCOPES },
          ]),
        );
      const authControls = controlTrail(context).record('authn-jwt', 'authz-scopes', 'generated-secrets');
      dependsOn.push(
        new k8s.core.v1.Secret(
          `${name}-auth`,
          {
            metadata: objectMeta(context, AUTH_SECRET, API_NAME, authControls),
            type: 'Opaque',
            stringData: {
              'jwt-private.pem': signingKey.privateKeyPemPkcs8,
              'jwt-public.pem': signingKey.publicKeyPem,
              'oauth-clients.json': pulumi.secret(clients),
            },
          },
          k8sOpts,
        ),
      );
    } else {
      this.jwtPublicKeyPem = undefined;
      this.reconcilerClientSecret = undefined;
      this.workshopClientSecret = undefined;
    }

    if (has('tls-in-transit') && args.ca) {
      dependsOn.push(
        args.ca.certificate(
          `${name}-certificate`,
          {
            secretName: `${API_NAME}-tls`,
            dnsNames: serviceDnsNames(API_NAME, context.namespace),
            usage: 'server',
            app: API_NAME,
            controls: has('mtls-internal') ? ['tls-in-transit', 'mtls-internal'] : ['tls-in-transit'],
          },
          this,
        ),
      );
    }
    if (has('pod-hardening')) {
      dependsOn.push(workloadServiceAccount(`${name}-service-account`, context, API_NAME, k8sOpts));
    }

    const podSpec = apiPodSpec({
      image: args.image,
      controls: context.controls,
      database: args.database,
      jwtIssuer: this.jwtIssuer,
      trail: podControls,
    });
    const labels = objectMeta(context, API_NAME, API_NAME, podControls).labels;
    this.deployment = new k8s.apps.v1.Deployment(
      `${name}-deployment`,
      {
        metadata: objectMeta(context, API_NAME, API_NAME, podControls, [
          WAIVERS.pullPolicy,
          WAIVERS.localImageDigest,
        ]),
        spec: {
          replicas: 1,
          selector: { matchLabels: selectorLabels(API_NAME) },
          template: {
            metadata: {
              labels,
              // Only the checksum is an Output (a secret): the controls beside it stay readable.
              annotations: {
                ...podControls.annotations(),
                [DB_CREDENTIALS_CHECKSUM_ANNOTATION]: args.database.credentialsChecksum,
              },
            },
            spec: podSpec,
          },
        },
      },
      { ...k8sOpts, dependsOn },
    );

    const serviceControls = controlTrail(context).record('tls-in-transit', 'mtls-internal', 'observability');
    const ports: k8s.types.input.core.v1.ServicePort[] = [
      {
        name: this.endpoint.portName,
        port: this.endpoint.servicePort,
        targetPort: this.endpoint.portName,
        protocol: 'TCP',
      },
    ];
    if (has('observability')) {
      ports.push({ name: 'metrics', port: API_PORTS.metrics, targetPort: 'metrics', protocol: 'TCP' });
    }
    const service = new k8s.core.v1.Service(
      `${name}-service`,
      {
        metadata: objectMeta(context, API_NAME, API_NAME, serviceControls),
        spec: { type: 'ClusterIP', selector: selectorLabels(API_NAME), ports },
      },
      k8sOpts,
    );
    this.serviceName = service.metadata.name;

    this.registerOutputs({
      serviceName: this.serviceName,
      url: this.url,
      jwtPublicKeyPem: this.jwtPublicKeyPem,
      reconcilerClientSecret: this.reconcilerClientSecret,
      workshopClientSecret: this.workshopClientSecret,
    });
  }
}
