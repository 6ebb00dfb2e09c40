// The workshop CA: a key and certificate from @pulumi/tls, cert-manager, a ClusterIssuer, the CA bundle.
import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';
import * as tls from '@pulumi/tls';
import type { HelmChartArgs } from '../lib/helm';
import {
  CA_BUNDLE_CONFIGMAP,
  CA_BUNDLE_KEY,
  type StackContext,
  controlTrail,
  objectMeta,
} from '../lib/workload';
import type { ControlId } from '@secure-workshop/contracts';

export const CERT_MANAGER_NAMESPACE = 'cert-manager';

export const CERT_MANAGER_CHART: Omit<HelmChartArgs, 'values'> = {
  chart: 'cert-manager',
  // 1.21 is the only supported line for Kubernetes 1.36 (cert-manager.io supported releases); 1.19 is EOL.
  version: 'v1.21.2',
  repo: 'https://charts.jetstack.io',
  namespace: CERT_MANAGER_NAMESPACE,
  releaseName: 'cert-manager',
};

/** Small single-node values; CRDs are installed by the chart so Certificates can follow it. */
export const CERT_MANAGER_VALUES = {
  crds: { enabled: true, keep: true },
  replicaCount: 1,
  prometheus: { enabled: true },
  resources: { requests: { cpu: '10m', memory: '64Mi' }, limits: { memory: '256Mi' } },
  webhook: { resources: { requests: { cpu: '10m', memory: '32Mi' }, limits: { memory: '128Mi' } } },
  cainjector: { resources: { requests: { cpu: '10m', memory: '64Mi' }, limits: { memory: '256Mi' } } },
};

const HOUR = 1;
const DAY = 24 * HOUR;
/** CA lifetime: long enough for a workshop cluster, short enough to force a rotation story. */
export const CA_VALIDITY_HOURS = 3 * 365 * DAY;
export const MAX_LEAF_DURATION_HOURS = 90 * DAY;

export type CertificateUsage = 'server' | 'client' | 'both';

export interface CertificateRequest {
  /** Kubernetes name of the Certificate and of the Secret cert-manager writes. */
  secretName: string;
  /** Service names the certificate is valid for; never `localhost`. */
  dnsNames: string[];
  usage: CertificateUsage;
  commonName?: string;
  durationHours?: number;
  renewBeforeHours?: number;
  /** The app label of the workload that owns the certificate. */
  app: string;
  /** Controls this certificate exists for. */
  controls: ControlId[];
}

const usagesFor: Record<CertificateUsage, string[]> = {
  server: ['digital signature', 'key encipherment', 'server auth'],
  client: ['digital signature', 'key encipherment', 'client auth'],
  both: ['digital signature', 'key encipherment', 'server auth', 'client auth'],
};

/** The DNS names a Service answers to inside the cluster. */
export function serviceDnsNames(service: string, namespace: string): string[] {
  return [
    service,
    `${service}.${namespace}`,
    `${service}.${namespace}.svc`,
    `${service}.${namespace}.svc.cluster.local`,
  ];
}

/** The cert-manager Certificate spec for a request, validated (ECDSA P-256, at most 90 days). */
export function certificateSpec(request: CertificateRequest, issuerName: string): Record<string, unknown> {
  const duration = request.durationHours ?? 30 * DAY;
  const renewBefore = request.renewBeforeHours ?? Math.floor(duration / 3);
  if (duration > MAX_LEAF_DURATION_HOURS) {
    throw new Error(
      `certificate ${request.secretName}: duration ${duration}h exceeds ${MAX_LEAF_DURATION_HOURS}h (90 days)`,
    );
  }
  if (renewBefore <= 0 || renewBefore >= duration) {
    throw new Error(`certificate ${request.secretName}: renewBefore must be between 0 and the duration`);
  }
  const local = request.dnsNames.filter((name) => name === 'localhost' || name.endsWith('.localhost'));
  if (local.length > 0) {
    throw new Error(`certificate ${request.secretName}: dnsNames must not include localhost`);
  }
  if (request.usage !== 'client' && request.dnsNames.length === 0) {
    throw new Error(`certificate ${request.secretName}: a server certificate needs dnsNames`);
  }
  return {
    secretName: request.secretName,
    commonName: request.commonName ?? request.dnsNames[0] ?? request.secretName,
    ...(request.dnsNames.length > 0 ? { dnsNames: request.dnsNames } : {}),
    duration: `${duration}h`,
    renewBefore: `${renewBefore}h`,
    privateKey: { algorithm: 'ECDSA', size: 256, encoding: 'PKCS8', rotationPolicy: 'Always' },
    usages: usagesFor[request.usage],
    issuerRef: { name: issuerName, kind: 'ClusterIssuer', group: 'cert-manager.io' },
    secretTemplate: { labels: { 'app.kubernetes.io/name': request.app } },
  };
}

/** One ClusterIssuer per stack so stacks can share a cluster without sharing a CA. */
export function clusterIssuerName(stack: string): string {
  return `secure-workshop-${stack}-ca`;
}

export interface CertificateAuthorityArgs {
  context: StackContext;
  provider: k8s.Provider;
  /** cert-manager's CRDs as the add-ons stack installed them: the issuer and certificates wait for them. */
  certManager?: pulumi.Resource;
  /** The controls that need the CA (annotated on its objects). */
  controls: ControlId[];
}

export class CertificateAuthority extends pulumi.ComponentResource {
  public readonly certPem: pulumi.Output<string>;
  public readonly issuerName: pulumi.Output<string>;
  public readonly bundleConfigMapName: pulumi.Output<string>;
  private readonly provider: k8s.Provider;
  private readonly context: StackContext;
  private readonly issuer: k8s.apiextensions.CustomResource;

  constructor(name: string, args: CertificateAuthorityArgs, opts?: pulumi.ComponentResourceOptions) {
    super('secure-workshop:index:CertificateAuthority', name, {}, opts);
    this.provider = args.provider;
    this.context = args.context;
    const { stack } = args.context;
    const k8sOpts = { parent: this, provider: args.provider };
    const controls = controlTrail(args.context).record(...args.controls);

    const key = new tls.PrivateKey(
      `${name}-key`,
      { algorithm: 'ECDSA', ecdsaCurve: 'P256' },
      { parent: this },
    );
    const cert = new tls.SelfSignedCert(
      `${name}-cert`,
      {
        privateKeyPem: key.privateKeyPem,
        isCaCertificate: true,
        validityPeriodHours: CA_VALIDITY_HOURS,
        earlyRenewalHours: 30 * DAY,
        allowedUses: ['cert_signing', 'crl_signing', 'digital_signature'],
        setSubjectKeyId: true,
        subject: { commonName: `secure-workshop ${stack} CA`, organization: 'secure-workshop' },
      },
      { parent: this },
    );

    const afterChart = args.certManager ? { dependsOn: [args.certManager] } : {};

    const issuerName = clusterIssuerName(stack);
    const caSecret = new k8s.core.v1.Secret(
      `${name}-secret`,
      {
        metadata: {
          ...objectMeta(args.context, issuerName, 'cert-manager', controls),
          namespace: CERT_MANAGER_NAMESPACE,
        },
        type: 'kubernetes.io/tls',
        stringData: { 'tls.crt': cert.certPem, 'tls.key': key.privateKeyPem },
      },
      { ...k8sOpts, ...afterChart },
    );

    this.issuer = new k8s.apiextensions.CustomResource(
      `${name}-issuer`,
      {
        apiVersion: 'cert-manager.io/v1',
        kind: 'ClusterIssuer',
        metadata: {
          name: issuerName,
          labels: objectMeta(args.context, issuerName, 'cert-manager', controls).labels,
          annotations: controls.annotations(),
        },
        spec: { ca: { secretName: caSecret.metadata.name } },
      },
      { ...k8sOpts, dependsOn: args.certManager ? [args.certManager, caSecret] : [caSecret] },
    );

    const bundle = new k8s.core.v1.ConfigMap(
      `${name}-bundle`,
      {
        metadata: objectMeta(args.context, CA_BUNDLE_CONFIGMAP, 'workshop-ca', controls),
        data: { [CA_BUNDLE_KEY]: cert.certPem },
      },
      k8sOpts,
    );

    this.certPem = cert.certPem;
    this.issuerName = this.issuer.metadata.name;
    this.bundleConfigMapName = bundle.metadata.name;
    this.registerOutputs({
      certPem: this.certPem,
      issuerName: this.issuerName,
      bundleConfigMapName: this.bundleConfigMapName,
    });
  }

  /**
   * A cert-manager Certificate from this CA, owned by `parent` (the workload's component), created
   * after the ClusterIssuer (and so after the CRDs).
   */
  certificate(
    resourceName: string,
    request: CertificateRequest,
    parent: pulumi.Resource,
  ): k8s.apiextensions.CustomResource {
    const controls = controlTrail(this.context).record(...request.controls);
    return new k8s.apiextensions.CustomResource(
      resourceName,
      {
        apiVersion: 'cert-manager.io/v1',
        kind: 'Certificate',
        metadata: {
          ...objectMeta(this.context, request.secretName, request.app, controls),
          // Workloads that mount the Secret wait until cert-manager has issued it.
          annotations: { ...controls.annotations(), 'pulumi.com/waitFor': 'condition=Ready' },
        },
        spec: certificateSpec(request, clusterIssuerName(this.context.stack)),
      },
      { parent, provider: this.provider, dependsOn: [this.issuer] },
    );
  }
}
