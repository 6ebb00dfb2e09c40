// The reconciler CronJob: every minute, never overlapping, calling the API with what its controls give it.
import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';
import { WAIVERS } from '../lib/checkov';
import { type ControlTrail, selectorLabels } from '../lib/labels';
import { containerHardening, podSecurity, scratchVolume } from '../lib/pod-security';
import {
  type StackContext,
  caBundleVolume,
  controlTrail,
  literalEnv,
  objectMeta,
  tlsSecretVolume,
  workloadServiceAccount,
} from '../lib/workload';
import type { CertificateAuthority } from './certificate-authority';
import { RECONCILER_SCOPES } from '@secure-workshop/contracts';
import { RECONCILER_CLIENT_ID, type SecureApi } from './secure-api';

type EnvVar = k8s.types.input.core.v1.EnvVar;
type Volume = k8s.types.input.core.v1.Volume;
type VolumeMount = k8s.types.input.core.v1.VolumeMount;
type PodSpec = k8s.types.input.core.v1.PodSpec;

export const RECONCILER_NAME = 'reconciler';
export const RECONCILER_UID = 10001;
export const RECONCILER_SCHEDULE = '* * * * *';

const CA_DIR = '/etc/reconciler/ca';
const TLS_DIR = '/etc/reconciler/tls';
const OAUTH_DIR = '/etc/reconciler/oauth';

export interface ReconcilerJobArgs {
  context: StackContext;
  provider: k8s.Provider;
  image: string;
  api: SecureApi;
  /** Required with mtls-internal (issues the client certificate). */
  ca?: CertificateAuthority;
}

const OAUTH_SECRET = `${RECONCILER_NAME}-oauth`;

export interface ReconcilerPodOptions {
  image: string;
  apiUrl: string;
  /** Whether the API is served over HTTPS (tls-in-transit). */
  https: boolean;
  tokenUrl: string;
  /** Records the controls that shape the pod (its annotations). */
  trail: ControlTrail;
}

/** The reconciler's pod: the API it calls, the CA it trusts, its client certificate and OAuth client. */
export function reconcilerPodSpec(options: ReconcilerPodOptions): PodSpec {
  const { trail } = options;
  const hardened = trail.ifOn('pod-hardening');
  const env: EnvVar[] = [literalEnv('API_URL', options.apiUrl)];
  const volumes: Volume[] = [];
  const mounts: VolumeMount[] = [];
  if (trail.ifOn('tls-in-transit')) {
    const ca = caBundleVolume(CA_DIR);
    volumes.push(ca.volume);
    mounts.push(ca.mount);
    env.push(literalEnv('TLS_CA_FILE', ca.file));
  }
  if (trail.ifOn('mtls-internal')) {
    const certificate = tlsSecretVolume('tls', `${RECONCILER_NAME}-tls`, TLS_DIR);
    volumes.push(certificate.volume);
    mounts.push(certificate.mount);
    env.push(literalEnv('TLS_CERT_DIR', TLS_DIR));
  }
  if (trail.ifOn('authn-jwt')) {
    volumes.push({ name: 'oauth', secret: { secretName: OAUTH_SECRET, defaultMode: 0o440 } });
    mounts.push({ name: 'oauth', mountPath: OAUTH_DIR, readOnly: true });
    env.push(
      literalEnv('OAUTH_TOKEN_URL', options.tokenUrl),
      literalEnv('OAUTH_CLIENT_ID', RECONCILER_CLIENT_ID),
      literalEnv('OAUTH_CLIENT_SECRET_FILE', `${OAUTH_DIR}/client-secret`),
    );
    if (trail.ifOn('authz-scopes')) env.push(literalEnv('OAUTH_SCOPE', RECONCILER_SCOPES.join(' ')));
    // Before tls-in-transit the client secret and the token cross the cluster in plain text: the
    // reconciler refuses that unless told so, and this is where step 1 tells it (step 2's lesson).
    if (!options.https) env.push(literalEnv('OAUTH_ALLOW_PLAINTEXT', 'true'));
    trail.record('generated-secrets');
  }
  if (hardened) {
    const tmp = scratchVolume('tmp', '/tmp');
    volumes.push(tmp.volume);
    mounts.push(tmp.mount);
  }
  return {
    restartPolicy: 'Never',
    ...(hardened ? { serviceAccountName: RECONCILER_NAME, automountServiceAccountToken: false } : {}),
    ...podSecurity(
      hardened,
      { user: RECONCILER_UID, fsGroup: RECONCILER_UID },
      volumes.some((volume) => volume.secret !== undefined),
    ),
    containers: [
      {
        name: RECONCILER_NAME,
        image: options.image,
        env,
        volumeMounts: mounts,
        ...containerHardening(hardened, 'job', RECONCILER_UID),
      },
    ],
    volumes,
  };
}

export class ReconcilerJob extends pulumi.ComponentResource {
  public readonly cronJob: k8s.batch.v1.CronJob;
  public readonly apiUrl: string;

  constructor(name: string, args: ReconcilerJobArgs, opts?: pulumi.ComponentResourceOptions) {
    super('secure-workshop:index:ReconcilerJob', name, {}, opts);
    const { context } = args;
    const k8sOpts = { parent: this, provider: args.provider };
    if (context.controls.has('mtls-internal') && !args.ca) {
      throw new Error('ReconcilerJob: mtls-internal needs a CertificateAuthority (args.ca)');
    }
    if (context.controls.has('authn-jwt') && !args.api.reconcilerClientSecret) {
      throw new Error('ReconcilerJob: authn-jwt is on but the API has no reconciler client');
    }
    this.apiUrl = args.api.url;

    const controls = controlTrail(context);
    const dependsOn: pulumi.Resource[] = [];
    if (context.controls.has('mtls-internal') && args.ca) {
      dependsOn.push(
        args.ca.certificate(
          `${name}-certificate`,
          {
            secretName: `${RECONCILER_NAME}-tls`,
            commonName: RECONCILER_NAME,
            dnsNames: [],
            usage: 'client',
            app: RECONCILER_NAME,
            controls: ['mtls-internal'],
          },
          this,
        ),
      );
    }
    if (context.controls.has('authn-jwt') && args.api.reconcilerClientSecret) {
      dependsOn.push(
        new k8s.core.v1.Secret(
          `${name}-oauth`,
          {
            metadata: objectMeta(
              context,
              OAUTH_SECRET,
              RECONCILER_NAME,
              controlTrail(context).record('authn-jwt', 'generated-secrets'),
            ),
            type: 'Opaque',
            stringData: { 'client-secret': args.api.reconcilerClientSecret },
          },
          k8sOpts,
        ),
      );
    }
    if (context.controls.has('pod-hardening')) {
      dependsOn.push(workloadServiceAccount(`${name}-service-account`, context, RECONCILER_NAME, k8sOpts));
    }
    const podSpec = reconcilerPodSpec({
      image: args.image,
      apiUrl: this.apiUrl,
      https: args.api.endpoint.scheme === 'https',
      tokenUrl: args.api.tokenUrl,
      trail: controls,
    });

    const labels = objectMeta(context, RECONCILER_NAME, RECONCILER_NAME, controls).labels;
    this.cronJob = new k8s.batch.v1.CronJob(
      `${name}-cronjob`,
      {
        metadata: objectMeta(context, RECONCILER_NAME, RECONCILER_NAME, controls, [
          WAIVERS.pullPolicy,
          WAIVERS.localImageDigest,
        ]),
        spec: {
          schedule: RECONCILER_SCHEDULE,
          concurrencyPolicy: 'Forbid',
          startingDeadlineSeconds: 60,
          // Finished runs are gone at once (the staleness alert reads the CronJob's last success
          // time); a failed one is kept for its logs. Old pods would otherwise be judged again
          // when pod-hardening raises the namespace's enforce level.
          successfulJobsHistoryLimit: 0,
          failedJobsHistoryLimit: 1,
          jobTemplate: {
            metadata: { labels: selectorLabels(RECONCILER_NAME) },
            spec: {
              backoffLimit: 1,
              activeDeadlineSeconds: 300,
              template: {
                metadata: { labels, annotations: controls.annotations() },
                spec: podSpec,
              },
            },
          },
        },
      },
      { ...k8sOpts, dependsOn },
    );

    this.registerOutputs({ apiUrl: this.apiUrl });
  }
}
