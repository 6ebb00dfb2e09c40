// Pod security presets: the Pod Security Standard "restricted" profile, resources and probes.
import type * as k8s from '@pulumi/kubernetes';
import { KUBERNETES_MINOR } from '../platform';

type PodSecurityContext = k8s.types.input.core.v1.PodSecurityContext;
type SecurityContext = k8s.types.input.core.v1.SecurityContext;
type ResourceRequirements = k8s.types.input.core.v1.ResourceRequirements;
type Probe = k8s.types.input.core.v1.Probe;
type Volume = k8s.types.input.core.v1.Volume;
type VolumeMount = k8s.types.input.core.v1.VolumeMount;

/**
 * Enforced at the cluster's own minor, so a refusal names it: `violates PodSecurity
 * "restricted:v1.36"` (k8s.io/pod-security-admission admission.go; `latest` would print "latest").
 */
export const POD_SECURITY_LABELS = {
  'pod-security.kubernetes.io/enforce': 'restricted',
  'pod-security.kubernetes.io/enforce-version': KUBERNETES_MINOR,
  'pod-security.kubernetes.io/warn': 'restricted',
  'pod-security.kubernetes.io/audit': 'restricted',
} as const;

export interface RunAs {
  /** Numeric, non-zero user id (restricted requires runAsNonRoot, kubelet checks it numerically). */
  user: number;
  group?: number;
  /** Group owning mounted volumes, e.g. so PostgreSQL (gid 70) can read its TLS key. */
  fsGroup?: number;
}

export function restrictedPodSecurityContext(runAs: RunAs): PodSecurityContext {
  if (!Number.isInteger(runAs.user) || runAs.user <= 0) {
    throw new Error(`runAs.user must be a positive numeric uid, got ${runAs.user}`);
  }
  return {
    runAsNonRoot: true,
    runAsUser: runAs.user,
    runAsGroup: runAs.group ?? runAs.user,
    ...(runAs.fsGroup === undefined ? {} : { fsGroup: runAs.fsGroup, fsGroupChangePolicy: 'OnRootMismatch' }),
    seccompProfile: { type: 'RuntimeDefault' },
  };
}

export function restrictedContainerSecurityContext(): SecurityContext {
  return {
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    runAsNonRoot: true,
    privileged: false,
    capabilities: { drop: ['ALL'] },
    seccompProfile: { type: 'RuntimeDefault' },
  };
}

export type ResourceSize = 'job' | 'small' | 'medium';

export const RESOURCE_PRESETS: Record<ResourceSize, ResourceRequirements> = {
  job: { requests: { cpu: '50m', memory: '64Mi' }, limits: { cpu: '500m', memory: '256Mi' } },
  small: { requests: { cpu: '50m', memory: '96Mi' }, limits: { cpu: '500m', memory: '256Mi' } },
  medium: { requests: { cpu: '100m', memory: '256Mi' }, limits: { cpu: '1', memory: '512Mi' } },
};

export interface HttpProbeTarget {
  port: number | string;
  liveness: string;
  readiness: string;
  scheme?: 'HTTP' | 'HTTPS';
}

export function httpProbes(target: HttpProbeTarget): { livenessProbe: Probe; readinessProbe: Probe } {
  const get = (path: string) => ({ path, port: target.port, scheme: target.scheme ?? 'HTTP' });
  return {
    livenessProbe: {
      httpGet: get(target.liveness),
      periodSeconds: 20,
      timeoutSeconds: 3,
      failureThreshold: 3,
    },
    readinessProbe: {
      httpGet: get(target.readiness),
      periodSeconds: 10,
      timeoutSeconds: 3,
      failureThreshold: 3,
    },
  };
}

export function execProbes(command: string[]): { livenessProbe: Probe; readinessProbe: Probe } {
  return {
    livenessProbe: { exec: { command }, initialDelaySeconds: 30, periodSeconds: 20, timeoutSeconds: 5 },
    readinessProbe: { exec: { command }, initialDelaySeconds: 5, periodSeconds: 10, timeoutSeconds: 5 },
  };
}

/** A writable emptyDir, for the paths a read-only root file system still needs (e.g. /tmp). */
export function scratchVolume(name: string, mountPath: string): { volume: Volume; mount: VolumeMount } {
  return {
    volume: { name, emptyDir: { sizeLimit: '64Mi' } },
    mount: { name, mountPath },
  };
}

/**
 * Pod-level security: the restricted profile under pod-hardening; otherwise only the group that
 * lets the app read its group-readable secret files.
 */
export function podSecurity(
  hardened: boolean,
  runAs: RunAs,
  readsSecretFiles: boolean,
): { securityContext?: PodSecurityContext } {
  if (hardened) return { securityContext: restrictedPodSecurityContext(runAs) };
  if (readsSecretFiles && runAs.fsGroup !== undefined) return { securityContext: { fsGroup: runAs.fsGroup } };
  return {};
}

/** Container-level hardening (restricted context, requests and limits) under pod-hardening only. */
export function containerHardening(
  hardened: boolean,
  size: ResourceSize,
  runAsUser?: number,
): { securityContext?: SecurityContext; resources?: ResourceRequirements } {
  if (!hardened) return {};
  return {
    securityContext: {
      ...restrictedContainerSecurityContext(),
      ...(runAsUser === undefined ? {} : { runAsUser }),
    },
    resources: RESOURCE_PRESETS[size],
  };
}
