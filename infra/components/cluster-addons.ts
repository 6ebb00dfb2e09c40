// Cluster-wide add-ons with one owner per cluster, and how a workshop stack declares it uses them.
//
// The add-ons stack (`clusterAddons: own`) installs cert-manager, the Traefik plugin configuration
// of k3s's bundled Traefik and the monitoring charts. Workshop stacks only read what they rely on:
// a read fails `pulumi up` early with the name of what is missing, and `pulumi destroy` of a
// workshop stack never deletes a read resource, so start, end and a guide stack can come and go
// in any order on one cluster.
import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';
import * as random from '@pulumi/random';
import { helmChart } from '../lib/helm';
import { appLabels } from '../lib/labels';
import type { ControlSet } from '@secure-workshop/contracts';
import { CERT_MANAGER_CHART, CERT_MANAGER_VALUES } from './certificate-authority';
import { TRAEFIK_CONFIG, traefikValuesContent } from './gateway/traefik-config';
import { addonServiceMonitorTargets, serviceMonitorSpec } from './observability-stack';
import {
  ALLOY,
  KUBE_PROMETHEUS_STACK,
  LOKI,
  MONITORING_NAMESPACE,
  alloyValues,
  kubePrometheusStackValues,
  lokiValues,
} from './observability/charts';

export const GRAFANA_ADMIN_SECRET = 'grafana-admin';
export const MONITORING_PSS_WAIVER =
  'third-party charts (kube-prometheus-stack, Loki, Alloy) do not all set seccomp and drop ALL in every container: enforced at baseline, restricted is warned and audited';

/** The CRDs each add-on brings, by the control that needs it: what a workshop stack reads. */
export const ADDON_CRDS = {
  certManager: 'certificates.cert-manager.io',
  prometheusOperator: 'prometheusrules.monitoring.coreos.com',
} as const;

export interface ClusterAddonsArgs {
  provider: k8s.Provider;
  stack: string;
}

/** The add-ons stack: everything cluster-wide, nothing of the workshop itself. */
export class ClusterAddons extends pulumi.ComponentResource {
  public readonly certManager: k8s.helm.v3.Release;
  public readonly traefikConfig: k8s.apiextensions.CustomResource;
  public readonly monitoring: k8s.helm.v3.Release[];

  constructor(name: string, args: ClusterAddonsArgs, opts?: pulumi.ComponentResourceOptions) {
    super('secure-workshop:index:ClusterAddons', name, {}, opts);
    const childOpts: pulumi.CustomResourceOptions = { parent: this, provider: args.provider };
    const labels = appLabels('cluster-addons', args.stack);

    this.certManager = helmChart(
      `${name}-cert-manager`,
      { ...CERT_MANAGER_CHART, values: CERT_MANAGER_VALUES },
      childOpts,
    );

    // k3s merges this into the values of its bundled Traefik chart (helm-controller, HelmChartConfig).
    this.traefikConfig = new k8s.apiextensions.CustomResource(
      `${name}-traefik-config`,
      {
        apiVersion: 'helm.cattle.io/v1',
        kind: 'HelmChartConfig',
        metadata: { ...TRAEFIK_CONFIG, labels },
        spec: { valuesContent: traefikValuesContent() },
      },
      childOpts,
    );

    const namespace = new k8s.core.v1.Namespace(
      `${name}-monitoring-namespace`,
      {
        metadata: {
          name: MONITORING_NAMESPACE,
          labels: {
            ...labels,
            // The charts' node-level parts are off; baseline is what the rest needs (restricted warns).
            'pod-security.kubernetes.io/enforce': 'baseline',
            'pod-security.kubernetes.io/warn': 'restricted',
            'pod-security.kubernetes.io/audit': 'restricted',
          },
          annotations: { 'secure-workshop.dev/waive-namespace-pod-security': MONITORING_PSS_WAIVER },
        },
      },
      childOpts,
    );
    const password = new random.RandomPassword(
      `${name}-grafana-password`,
      { length: 32, special: false },
      { parent: this },
    );
    const grafanaSecret = new k8s.core.v1.Secret(
      `${name}-grafana-admin`,
      {
        metadata: { name: GRAFANA_ADMIN_SECRET, namespace: MONITORING_NAMESPACE, labels },
        type: 'Opaque',
        stringData: { 'admin-user': 'admin', 'admin-password': password.result },
      },
      { ...childOpts, dependsOn: [namespace] },
    );
    const releaseOpts = { ...childOpts, dependsOn: [namespace, grafanaSecret] };
    const chartIn = (release: string, chart: typeof LOKI, values: Record<string, unknown>) =>
      helmChart(
        `${name}-${release}`,
        { ...chart, namespace: MONITORING_NAMESPACE, createNamespace: false, values },
        releaseOpts,
      );
    const prometheus = chartIn(
      'kube-prometheus-stack',
      KUBE_PROMETHEUS_STACK,
      kubePrometheusStackValues(GRAFANA_ADMIN_SECRET),
    );
    this.monitoring = [
      prometheus,
      chartIn('loki', LOKI, lokiValues()),
      chartIn('alloy', ALLOY, alloyValues()),
    ];
    for (const target of addonServiceMonitorTargets()) {
      new k8s.apiextensions.CustomResource(
        `${name}-servicemonitor-${target.name}`,
        {
          apiVersion: 'monitoring.coreos.com/v1',
          kind: 'ServiceMonitor',
          metadata: { name: target.name, namespace: target.namespace, labels },
          spec: serviceMonitorSpec(target),
        },
        { ...childOpts, dependsOn: [prometheus, this.certManager] },
      );
    }

    this.registerOutputs({
      certManager: this.certManager.status,
      traefikConfig: this.traefikConfig.metadata.name,
    });
  }
}

/** The add-ons a workshop stack relies on, read from the cluster (undefined where not needed). */
export interface AddonsInUse {
  /** Objects of cert-manager's kinds depend on it. */
  certManager?: pulumi.Resource;
  /** The IngressRoutes' plugins are only loaded when k3s's Traefik has this configuration. */
  traefikConfig?: pulumi.Resource;
  /** ServiceMonitors and PrometheusRules depend on it. */
  prometheusOperator?: pulumi.Resource;
}

/** Which add-ons a set of controls needs. */
export function addonsNeeded(controls: ControlSet): {
  certManager: boolean;
  traefik: boolean;
  monitoring: boolean;
} {
  return {
    certManager: ['tls-in-transit', 'db-tls', 'mtls-internal'].some((id) => controls.has(id as never)),
    traefik: controls.has('api-gateway'),
    monitoring: controls.has('observability'),
  };
}

/**
 * Reads the add-ons the controls need. With `renderYamlToDirectory` there is no cluster to read
 * from, so nothing is read (the rendered objects say what they need by their kinds).
 */
export function useClusterAddons(
  controls: ControlSet,
  provider: k8s.Provider,
  options: { read: boolean },
): AddonsInUse {
  if (!options.read) return {};
  const needed = addonsNeeded(controls);
  const crd = (name: string, id: string) =>
    k8s.apiextensions.v1.CustomResourceDefinition.get(name, id, { provider });
  return {
    ...(needed.certManager ? { certManager: crd('addon-cert-manager', ADDON_CRDS.certManager) } : {}),
    ...(needed.traefik
      ? {
          traefikConfig: k8s.apiextensions.CustomResource.get('addon-traefik-config', {
            apiVersion: 'helm.cattle.io/v1',
            kind: 'HelmChartConfig',
            id: `${TRAEFIK_CONFIG.namespace}/${TRAEFIK_CONFIG.name}`,
            provider,
          }),
        }
      : {}),
    ...(needed.monitoring
      ? { prometheusOperator: crd('addon-prometheus-operator', ADDON_CRDS.prometheusOperator) }
      : {}),
  };
}
