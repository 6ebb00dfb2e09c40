// The bank API: Deployment, Service, migrate Job, and the auth material its controls call for.
import { createHash } from 'node:crypto';
import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';
import * as random from '@pulumi/random';
import * as tls from '@pulumi/tls';
import { selectorLabels } from '../lib/labels';
import { containerHardening, httpProbes, podSecurity } from '../lib/pod-security';
import {
  type StackContext,
  applied,
  hardenWorkload,
  literalEnv,
  objectMeta,
  tlsSecretVolume,
} from '../lib/workload';
import {
  ALL_SCOPES,
  API_PORTS,
  type ControlId,
  JWT_AUDIENCE,
  OAUTH_CLIENTS,
  RECONCILER_SCOPES,
} from '@secure-workshop/contracts';
import { type CertificateAuthority, serviceDnsNames } from './certificate-authority';
import type { DbClient } from './tls-postgres';

type EnvVar = k8s.types.input.core.v1.EnvVar;
type Volume = k8s.types.input.core.v1.Volume;
type VolumeMount = k8s.types.input.core.v1.VolumeMount;

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

export interface ApiShape {
  scheme: 'http' | 'https';
  containerPort: number;
  servicePort: number;
  portName: 'http' | 'https';
}

export function apiShape(controls: ReadonlySet<ControlId>): ApiShape {
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

export class SecureApi extends pulumi.ComponentResource {
  public readonly serviceName: pulumi.Output<string>;
  public readonly url: string;
  public readonly tokenUrl: string;
  public readonly shape: ApiShape;
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
    this.shape = apiShape(context.controls);
    this.url = `${this.shape.scheme}://${API_NAME}`;
    this.tokenUrl = `${this.url}/oauth/token`;
    this.jwtIssuer = jwtIssuer(context.namespace);

    const podControls = applied(context);
    const hardened = podControls.use('pod-hardening');
    const env: EnvVar[] = [
      literalEnv('HOST', '0.0.0.0'),
      literalEnv('PORT', String(this.shape.containerPort)),
      literalEnv('METRICS_PORT', String(API_PORTS.metrics)),
      literalEnv('LOG_LEVEL', 'info'),
    ];
    const volumes: Volume[] = [...args.database.volumes];
    const mounts: VolumeMount[] = [...args.database.mounts];
    const dependsOn: pulumi.Input<pulumi.Resource>[] = [...(args.dependsOn ?? [])];
    if (args.database.tls) podControls.mark('db-tls');
    if (has('db-firewall')) podControls.mark('db-firewall');
    if (has('generated-secrets')) podControls.mark('generated-secrets');

    // Authentication: ES256 signing key, token endpoint, client registry.
    if (podControls.use('authn-jwt')) {
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
      if (has('authz-scopes')) podControls.mark('authz-scopes');
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
      const authControls = applied(context).mark('authn-jwt', 'authz-scopes', 'generated-secrets');
      const auth = new k8s.core.v1.Secret(
        `${name}-auth`,
        {
          metadata: objectMeta(context, `${API_NAME}-auth`, API_NAME, authControls),
          type: 'Opaque',
          stringData: {
            'jwt-private.pem': signingKey.privateKeyPemPkcs8,
            'jwt-public.pem': signingKey.publicKeyPem,
            'oauth-clients.json': pulumi.secret(clients),
          },
        },
        k8sOpts,
      );
      dependsOn.push(auth);
      volumes.push({ name: 'auth', secret: { secretName: `${API_NAME}-auth`, defaultMode: 0o440 } });
      mounts.push({ name: 'auth', mountPath: AUTH_DIR, readOnly: true });
      env.push(
        literalEnv('AUTH_MODE', 'jwt'),
        literalEnv('JWT_PUBLIC_KEY_FILE', `${AUTH_DIR}/jwt-public.pem`),
        literalEnv('JWT_PRIVATE_KEY_FILE', `${AUTH_DIR}/jwt-private.pem`),
        literalEnv('JWT_ISSUER', this.jwtIssuer),
        literalEnv('JWT_AUDIENCE', JWT_AUDIENCE),
        literalEnv('OAUTH_CLIENTS_FILE', `${AUTH_DIR}/oauth-clients.json`),
      );
    } else {
      // The workshop's starting point: anyone who reaches the API may do anything.
      env.push(literalEnv('AUTH_MODE', 'none'));
      this.jwtPublicKeyPem = undefined;
      this.reconcilerClientSecret = undefined;
      this.workshopClientSecret = undefined;
    }

    if (podControls.use('tls-in-transit') && args.ca) {
      const mtls = has('mtls-internal');
      dependsOn.push(
        args.ca.certificate(
          `${name}-certificate`,
          {
            secretName: `${API_NAME}-tls`,
            dnsNames: serviceDnsNames(API_NAME, context.namespace),
            usage: 'server',
            app: API_NAME,
            controls: mtls ? ['tls-in-transit', 'mtls-internal'] : ['tls-in-transit'],
          },
          this,
        ),
      );
      const certificateVolume = tlsSecretVolume('tls', `${API_NAME}-tls`, TLS_DIR);
      volumes.push(certificateVolume.volume);
      mounts.push(certificateVolume.mount);
      env.push(literalEnv('TLS_CERT_DIR', TLS_DIR));
      if (podControls.use('mtls-internal')) env.push(literalEnv('TLS_CLIENT_AUTH', 'require'));
    }

    if (!podControls.use('security-headers')) env.push(literalEnv('SECURITY_HEADERS', 'off'));
    env.push(...args.database.env);
    if (has('db-firewall')) env.push(literalEnv(PREPARED_STATEMENTS_ENV, 'off'));

    if (hardened) {
      dependsOn.push(
        hardenWorkload(`${name}-service-account`, context, API_NAME, k8sOpts, { volumes, mounts }),
      );
    }

    const labels = objectMeta(context, API_NAME, API_NAME, podControls).labels;
    this.deployment = new k8s.apps.v1.Deployment(
      `${name}-deployment`,
      {
        metadata: objectMeta(context, API_NAME, API_NAME, podControls),
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
            spec: {
              ...(hardened ? { serviceAccountName: API_NAME, automountServiceAccountToken: false } : {}),
              ...podSecurity(
                hardened,
                { user: API_UID, fsGroup: API_UID },
                volumes.some((volume) => volume.secret !== undefined),
              ),
              containers: [
                {
                  name: API_NAME,
                  image: args.image,
                  ports: [
                    { name: this.shape.portName, containerPort: this.shape.containerPort },
                    { name: 'metrics', containerPort: API_PORTS.metrics },
                  ],
                  env,
                  volumeMounts: mounts,
                  ...containerHardening(hardened, 'small', API_UID),
                  // Probes use the plain metrics listener: kubelet has no client certificate.
                  ...(hardened
                    ? httpProbes({ port: 'metrics', liveness: '/healthz', readiness: '/readyz' })
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

    const serviceControls = applied(context).mark('tls-in-transit', 'mtls-internal', 'observability');
    const ports: k8s.types.input.core.v1.ServicePort[] = [
      {
        name: this.shape.portName,
        port: this.shape.servicePort,
        targetPort: this.shape.portName,
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
