// Monitoring for the stack: charts (cluster add-ons), ServiceMonitors, security alerts, Loki rules, dashboard.
import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';
import * as random from '@pulumi/random';
import { stringify } from 'yaml';
import { helmChart } from '../lib/helm';
import { AppliedControls, appLabels } from '../lib/labels';
import type { ControlId, ControlSet } from '../stacks/controls';
import {
  ALLOY,
  DASHBOARD_LABEL,
  KUBE_PROMETHEUS_STACK,
  LOKI,
  LOKI_RULE_LABEL,
  MONITORING_NAMESPACE,
  alloyValues,
  kubePrometheusStackValues,
  lokiValues,
} from './observability/charts';
import { securityDashboard } from './observability/dashboard';
import { lokiRuleGroups, prometheusRuleGroups, type RuleScope } from './observability/rules';

export const JUMPWIRE_METRICS_PORT = 9568;
export const GRAFANA_ADMIN_SECRET = 'grafana-admin';
export const MONITORING_PSS_WAIVER =
  'third-party charts (kube-prometheus-stack, Loki, Alloy) do not all set seccomp and drop ALL in every container: enforced at baseline, restricted is warned and audited';

export interface ObservabilityStackArgs {
  namespace: string;
  stack: string;
  controls: ControlSet;
  provider: k8s.Provider;
  /** Install kube-prometheus-stack, Loki and Alloy into `monitoring` (once per cluster). */
  installClusterAddons: boolean;
  /** Name of the API Service port that serves /metrics. */
  apiMetricsPortName?: string;
  /** Resources that must exist before ServiceMonitors and PrometheusRules (their CRDs). */
  crdDependencies?: pulumi.Input<pulumi.Resource>[];
}

export interface ServiceMonitorTarget {
  name: string;
  namespace: string;
  /** Namespace the scraped Service lives in, when not the ServiceMonitor's own. */
  targetNamespace?: string;
  selector: Record<string, string>;
  endpoint: { port: string } | { targetPort: number };
  controls: ControlId[];
}

const TLS_CONTROLS: ControlId[] = ['tls-in-transit', 'db-tls', 'mtls-internal'];

/** The ServiceMonitors a stack needs: its own workloads, and cluster add-ons when it installs them. */
export function serviceMonitorTargets(args: {
  namespace: string;
  controls: ControlSet;
  installClusterAddons: boolean;
  apiMetricsPortName: string;
}): ServiceMonitorTarget[] {
  const targets: ServiceMonitorTarget[] = [
    {
      name: 'api',
      namespace: args.namespace,
      selector: { 'app.kubernetes.io/name': 'api' },
      endpoint: { port: args.apiMetricsPortName },
      controls: ['observability'],
    },
  ];
  if (args.controls.has('db-firewall')) {
    targets.push({
      name: 'jumpwire',
      namespace: args.namespace,
      selector: { 'app.kubernetes.io/name': 'jumpwire' },
      endpoint: { targetPort: JUMPWIRE_METRICS_PORT },
      controls: ['observability', 'db-firewall'],
    });
  }
  if (args.installClusterAddons) {
    targets.push({
      name: 'traefik',
      namespace: MONITORING_NAMESPACE,
      targetNamespace: 'kube-system',
      // The chart's separate metrics Service (metrics.prometheus.service.enabled).
      selector: { 'app.kubernetes.io/name': 'traefik', 'app.kubernetes.io/component': 'metrics' },
      endpoint: { port: 'metrics' },
      controls: ['observability'],
    });
    if (TLS_CONTROLS.some((id) => args.controls.has(id))) {
      targets.push({
        name: 'cert-manager',
        namespace: MONITORING_NAMESPACE,
        targetNamespace: 'cert-manager',
        selector: { 'app.kubernetes.io/name': 'cert-manager', 'app.kubernetes.io/component': 'controller' },
        endpoint: { port: 'tcp-prometheus-servicemonitor' },
        controls: ['observability'],
      });
    }
  }
  return targets;
}

export function serviceMonitorSpec(target: ServiceMonitorTarget): Record<string, unknown> {
  return {
    selector: { matchLabels: target.selector },
    ...(target.targetNamespace ? { namespaceSelector: { matchNames: [target.targetNamespace] } } : {}),
    endpoints: [{ ...target.endpoint, path: '/metrics', interval: '30s', scheme: 'http' }],
  };
}

export function ruleScope(namespace: string, controls: ControlSet): RuleScope {
  return {
    namespace,
    gateway: controls.has('api-gateway'),
    certificates: TLS_CONTROLS.some((id) => controls.has(id)),
    reconciler: true,
    backups: controls.has('encrypted-backups'),
  };
}

export class ObservabilityStack extends pulumi.ComponentResource {
  public readonly prometheusRuleName: pulumi.Output<string>;
  public readonly dashboardConfigMapName: pulumi.Output<string>;
  public readonly grafanaAdminSecretName: pulumi.Output<string | undefined>;

  constructor(name: string, args: ObservabilityStackArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super('secure-workshop:index:ObservabilityStack', name, {}, opts);
    if (!args.controls.has('observability'))
      throw new Error('ObservabilityStack needs the observability control');
    const childOpts: pulumi.CustomResourceOptions = { parent: this, provider: args.provider };
    const labels = appLabels('observability', args.stack);
    const annotations = (...extra: ControlId[]) =>
      new AppliedControls(args.controls).mark('observability', ...extra).annotations();
    const crdDependencies: pulumi.Input<pulumi.Resource>[] = [...(args.crdDependencies ?? [])];

    let grafanaSecretName: string | undefined;
    if (args.installClusterAddons) {
      const namespace = new k8s.core.v1.Namespace(
        `${name}-namespace`,
        {
          metadata: {
            name: MONITORING_NAMESPACE,
            labels: {
              // The charts' node-level parts are off; baseline is what the rest needs (restricted warns).
              'pod-security.kubernetes.io/enforce': 'baseline',
              'pod-security.kubernetes.io/warn': 'restricted',
              'pod-security.kubernetes.io/audit': 'restricted',
            },
            annotations: {
              ...annotations(),
              'secure-workshop.dev/waive-namespace-pod-security': MONITORING_PSS_WAIVER,
            },
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
          metadata: {
            name: GRAFANA_ADMIN_SECRET,
            namespace: MONITORING_NAMESPACE,
            labels,
            annotations: annotations('generated-secrets'),
          },
          type: 'Opaque',
          stringData: { 'admin-user': 'admin', 'admin-password': password.result },
        },
        { ...childOpts, dependsOn: [namespace] },
      );
      grafanaSecretName = GRAFANA_ADMIN_SECRET;
      const releaseOpts = { ...childOpts, dependsOn: [namespace, grafanaSecret] };
      const prometheus = helmChart(
        `${name}-kube-prometheus-stack`,
        {
          ...KUBE_PROMETHEUS_STACK,
          namespace: MONITORING_NAMESPACE,
          createNamespace: false,
          values: kubePrometheusStackValues(GRAFANA_ADMIN_SECRET),
        },
        releaseOpts,
      );
      helmChart(
        `${name}-loki`,
        { ...LOKI, namespace: MONITORING_NAMESPACE, createNamespace: false, values: lokiValues() },
        releaseOpts,
      );
      helmChart(
        `${name}-alloy`,
        { ...ALLOY, namespace: MONITORING_NAMESPACE, createNamespace: false, values: alloyValues() },
        releaseOpts,
      );
      crdDependencies.push(prometheus);
    }

    const crdOpts = { ...childOpts, dependsOn: crdDependencies };
    for (const target of serviceMonitorTargets({
      namespace: args.namespace,
      controls: args.controls,
      installClusterAddons: args.installClusterAddons,
      apiMetricsPortName: args.apiMetricsPortName ?? 'metrics',
    })) {
      new k8s.apiextensions.CustomResource(
        `${name}-servicemonitor-${target.name}`,
        {
          apiVersion: 'monitoring.coreos.com/v1',
          kind: 'ServiceMonitor',
          metadata: {
            name: target.name,
            namespace: target.namespace,
            labels,
            annotations: annotations(...target.controls),
          },
          spec: serviceMonitorSpec(target),
        },
        crdOpts,
      );
    }

    const scope = ruleScope(args.namespace, args.controls);
    const rule = new k8s.apiextensions.CustomResource(
      `${name}-security-alerts`,
      {
        apiVersion: 'monitoring.coreos.com/v1',
        kind: 'PrometheusRule',
        metadata: { name: 'security-alerts', namespace: args.namespace, labels, annotations: annotations() },
        spec: { groups: prometheusRuleGroups(scope) },
      },
      crdOpts,
    );
    new k8s.core.v1.ConfigMap(
      `${name}-loki-rules`,
      {
        metadata: {
          name: 'loki-security-rules',
          namespace: args.namespace,
          labels: { ...labels, ...LOKI_RULE_LABEL },
          annotations: annotations(),
        },
        data: { [`${args.namespace}-security.yaml`]: stringify({ groups: lokiRuleGroups(scope) }) },
      },
      childOpts,
    );
    const dashboard = new k8s.core.v1.ConfigMap(
      `${name}-dashboard`,
      {
        metadata: {
          name: 'security-dashboard',
          namespace: args.namespace,
          labels: { ...labels, ...DASHBOARD_LABEL },
          annotations: annotations(),
        },
        data: {
          [`security-events-${args.namespace}.json`]: JSON.stringify(
            securityDashboard(args.namespace, scope.gateway),
          ),
        },
      },
      childOpts,
    );

    this.prometheusRuleName = rule.metadata.name;
    this.dashboardConfigMapName = dashboard.metadata.name;
    this.grafanaAdminSecretName = pulumi.output(grafanaSecretName);
    this.registerOutputs({
      prometheusRuleName: this.prometheusRuleName,
      dashboardConfigMapName: this.dashboardConfigMapName,
      grafanaAdminSecretName: this.grafanaAdminSecretName,
    });
  }
}
