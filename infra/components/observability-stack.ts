// Monitoring for the stack: charts (cluster add-ons), ServiceMonitors, security alerts, Loki rules, dashboard.
import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';
import { stringify } from 'yaml';
import { ControlTrail, appLabels } from '../lib/labels';
import type { StackContext } from '../lib/workload';
import type { ControlId, ControlSet } from '@secure-workshop/contracts';
import { DASHBOARD_LABEL, LOKI_RULE_LABEL, MONITORING_NAMESPACE } from './observability/charts';
import { securityDashboard } from './observability/dashboard';
import { lokiRuleGroups, prometheusRuleGroups, type RuleScope } from './observability/rules';

export const JUMPWIRE_METRICS_PORT = 9568;

export interface ObservabilityStackArgs {
  context: StackContext;
  provider: k8s.Provider;
  /** Name of the API Service port that serves /metrics. */
  apiMetricsPortName?: string;
  /** The prometheus-operator CRDs (the add-ons stack installs them): monitors and rules wait for them. */
  prometheusOperator?: pulumi.Resource;
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

/** The ServiceMonitors a workshop stack needs: its own workloads. */
export function serviceMonitorTargets(args: {
  namespace: string;
  controls: ControlSet;
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
  return targets;
}

/** The add-ons stack's ServiceMonitors: Traefik in kube-system and cert-manager. */
export function addonServiceMonitorTargets(): ServiceMonitorTarget[] {
  return [
    {
      name: 'traefik',
      namespace: MONITORING_NAMESPACE,
      targetNamespace: 'kube-system',
      // The chart's separate metrics Service (metrics.prometheus.service.enabled).
      selector: { 'app.kubernetes.io/name': 'traefik', 'app.kubernetes.io/component': 'metrics' },
      endpoint: { port: 'metrics' },
      controls: ['observability'],
    },
    {
      name: 'cert-manager',
      namespace: MONITORING_NAMESPACE,
      targetNamespace: 'cert-manager',
      selector: { 'app.kubernetes.io/name': 'cert-manager', 'app.kubernetes.io/component': 'controller' },
      // cert-manager 1.21 renamed the metrics port (upgrading-1.20-1.21: tcp-prometheus-servicemonitor -> http-metrics).
      endpoint: { port: 'http-metrics' },
      controls: ['observability'],
    },
  ];
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

  constructor(name: string, args: ObservabilityStackArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super('secure-workshop:index:ObservabilityStack', name, {}, opts);
    const { context } = args;
    if (!context.controls.has('observability'))
      throw new Error('ObservabilityStack needs the observability control');
    const namespace = context.namespaceRef ?? context.namespace;
    const childOpts: pulumi.CustomResourceOptions = { parent: this, provider: args.provider };
    const labels = appLabels('observability', context.stack);
    const annotations = (...extra: ControlId[]) =>
      new ControlTrail(context.controls).record('observability', ...extra).annotations();
    const crdOpts = { ...childOpts, dependsOn: args.prometheusOperator ? [args.prometheusOperator] : [] };

    for (const target of serviceMonitorTargets({
      namespace: context.namespace,
      controls: context.controls,
      apiMetricsPortName: args.apiMetricsPortName ?? 'metrics',
    })) {
      new k8s.apiextensions.CustomResource(
        `${name}-servicemonitor-${target.name}`,
        {
          apiVersion: 'monitoring.coreos.com/v1',
          kind: 'ServiceMonitor',
          metadata: { name: target.name, namespace, labels, annotations: annotations(...target.controls) },
          spec: serviceMonitorSpec(target),
        },
        crdOpts,
      );
    }

    const scope = ruleScope(context.namespace, context.controls);
    const rule = new k8s.apiextensions.CustomResource(
      `${name}-security-alerts`,
      {
        apiVersion: 'monitoring.coreos.com/v1',
        kind: 'PrometheusRule',
        metadata: { name: 'security-alerts', namespace, labels, annotations: annotations() },
        spec: { groups: prometheusRuleGroups(scope) },
      },
      crdOpts,
    );
    new k8s.core.v1.ConfigMap(
      `${name}-loki-rules`,
      {
        metadata: {
          name: 'loki-security-rules',
          namespace,
          labels: { ...labels, ...LOKI_RULE_LABEL },
          annotations: annotations(),
        },
        data: { [`${context.namespace}-security.yaml`]: stringify({ groups: lokiRuleGroups(scope) }) },
      },
      childOpts,
    );
    const dashboard = new k8s.core.v1.ConfigMap(
      `${name}-dashboard`,
      {
        metadata: {
          name: 'security-dashboard',
          namespace,
          labels: { ...labels, ...DASHBOARD_LABEL },
          annotations: annotations(),
        },
        data: {
          [`security-events-${context.namespace}.json`]: JSON.stringify(
            securityDashboard(context.namespace, scope.gateway),
          ),
        },
      },
      childOpts,
    );

    this.prometheusRuleName = rule.metadata.name;
    this.dashboardConfigMapName = dashboard.metadata.name;
    this.registerOutputs({
      prometheusRuleName: this.prometheusRuleName,
      dashboardConfigMapName: this.dashboardConfigMapName,
    });
  }
}
