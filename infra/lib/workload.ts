// Shared shapes for the workloads of one stack: context, metadata, secret references, CA files.
import type * as k8s from '@pulumi/kubernetes';
import * as k8sCore from '@pulumi/kubernetes/core/v1';
import type * as pulumi from '@pulumi/pulumi';
import type { ControlId } from '@secure-workshop/contracts';
import { type ScannerWaiver, checkovAnnotations } from './checkov';
import { ControlTrail, appLabels } from './labels';

type EnvVar = k8s.types.input.core.v1.EnvVar;
type Volume = k8s.types.input.core.v1.Volume;
type VolumeMount = k8s.types.input.core.v1.VolumeMount;

/** What every component needs to know about the stack it belongs to. */
export interface StackContext {
  stack: string;
  /** The namespace name, for DNS names and selectors. */
  namespace: string;
  /** The Namespace resource's name output: objects that use it are created after the namespace. */
  namespaceRef?: pulumi.Input<string>;
  controls: ReadonlySet<ControlId>;
}

export function controlTrail(context: StackContext): ControlTrail {
  return new ControlTrail(context.controls);
}

/**
 * Object metadata with the workload's labels, the controls that shaped the object and the scanner
 * rules it is waived from, each with its reason (Checkov's annotation format).
 */
export function objectMeta(
  context: StackContext,
  name: string,
  app: string,
  controls: ControlTrail,
  waivers: readonly ScannerWaiver[] = [],
): k8s.types.input.meta.v1.ObjectMeta {
  return {
    name,
    namespace: context.namespaceRef ?? context.namespace,
    labels: appLabels(app, context.stack),
    annotations: { ...controls.annotations(), ...checkovAnnotations(waivers) },
  };
}

/** An env var read from a Secret key, never a literal. */
export function secretEnv(name: string, secretName: pulumi.Input<string>, key: string): EnvVar {
  return { name, valueFrom: { secretKeyRef: { name: secretName, key } } };
}

export function literalEnv(name: string, value: string): EnvVar {
  return { name, value };
}

/** The namespace's CA bundle ConfigMap (ca.crt), mounted read-only where clients verify servers. */
export const CA_BUNDLE_CONFIGMAP = 'workshop-ca';
export const CA_BUNDLE_KEY = 'ca.crt';

export function caBundleVolume(mountPath: string): { volume: Volume; mount: VolumeMount; file: string } {
  return {
    volume: {
      name: 'workshop-ca',
      configMap: { name: CA_BUNDLE_CONFIGMAP, items: [{ key: CA_BUNDLE_KEY, path: CA_BUNDLE_KEY }] },
    },
    mount: { name: 'workshop-ca', mountPath, readOnly: true },
    file: `${mountPath}/${CA_BUNDLE_KEY}`,
  };
}

/** A TLS Secret issued by cert-manager (tls.crt, tls.key, ca.crt), readable by the pod's group only. */
export function tlsSecretVolume(
  volumeName: string,
  secretName: string,
  mountPath: string,
): { volume: Volume; mount: VolumeMount } {
  return {
    volume: { name: volumeName, secret: { secretName, defaultMode: 0o440 } },
    mount: { name: volumeName, mountPath, readOnly: true },
  };
}

/** A workload's own ServiceAccount with no API token mounted (pod-hardening). */
export function workloadServiceAccount(
  resourceName: string,
  context: StackContext,
  app: string,
  opts: pulumi.CustomResourceOptions,
): k8s.core.v1.ServiceAccount {
  return new k8sCore.ServiceAccount(
    resourceName,
    {
      metadata: objectMeta(context, app, app, controlTrail(context).record('pod-hardening')),
      automountServiceAccountToken: false,
    },
    opts,
  );
}
