// The monitoring charts, pinned, with small single-node values for k3d.
import type { HelmChartArgs } from '../../lib/helm';

export const MONITORING_NAMESPACE = 'monitoring';

type ChartRef = Omit<HelmChartArgs, 'values' | 'namespace'>;

export const KUBE_PROMETHEUS_STACK: ChartRef = {
  chart: 'kube-prometheus-stack',
  version: '88.5.3',
  repo: 'https://prometheus-community.github.io/helm-charts',
};

export const LOKI: ChartRef = {
  chart: 'loki',
  // The last release published by Grafana before the chart moved to grafana-community.
  version: '6.55.0',
  repo: 'https://grafana.github.io/helm-charts',
};

export const ALLOY: ChartRef = {
  chart: 'alloy',
  version: '1.11.1',
  repo: 'https://grafana.github.io/helm-charts',
};

/** Service names the releases create (release name = chart name). */
export const SERVICES = {
  alertmanager: `http://kube-prometheus-stack-alertmanager.${MONITORING_NAMESPACE}.svc:9093`,
  loki: `http://loki.${MONITORING_NAMESPACE}.svc:3100`,
} as const;

export const DASHBOARD_LABEL = { grafana_dashboard: '1' } as const;
export const LOKI_RULE_LABEL = { loki_rule: '1' } as const;
/** Loki's local rule store reads one folder per tenant; without auth the only tenant is "fake". */
export const LOKI_RULES_DIRECTORY = '/rules';

const small = (cpu: string, memory: string, cpuLimit: string, memoryLimit: string) => ({
  requests: { cpu, memory },
  limits: { cpu: cpuLimit, memory: memoryLimit },
});

export function kubePrometheusStackValues(grafanaAdminSecret: string): Record<string, unknown> {
  return {
    crds: { enabled: true },
    // k3s embeds these in one process and does not expose them to scrape: targets would stay down.
    kubeEtcd: { enabled: false },
    kubeControllerManager: { enabled: false },
    kubeScheduler: { enabled: false },
    kubeProxy: { enabled: false },
    nodeExporter: { enabled: false },
    defaultRules: {
      rules: {
        etcd: false,
        kubeControllerManager: false,
        kubeSchedulerAlerting: false,
        kubeSchedulerRecording: false,
        kubeProxy: false,
        node: false,
      },
    },
    prometheus: {
      prometheusSpec: {
        retention: '2d',
        scrapeInterval: '30s',
        resources: small('100m', '400Mi', '1', '1Gi'),
        // Select ServiceMonitors and rules from every namespace, not only this release's.
        serviceMonitorSelectorNilUsesHelmValues: false,
        podMonitorSelectorNilUsesHelmValues: false,
        ruleSelectorNilUsesHelmValues: false,
        serviceMonitorNamespaceSelector: {},
        ruleNamespaceSelector: {},
      },
    },
    alertmanager: {
      alertmanagerSpec: { retention: '24h', resources: small('10m', '32Mi', '100m', '128Mi') },
    },
    'kube-state-metrics': { resources: small('10m', '48Mi', '100m', '128Mi') },
    prometheusOperator: { resources: small('20m', '64Mi', '200m', '256Mi') },
    grafana: {
      admin: { existingSecret: grafanaAdminSecret, userKey: 'admin-user', passwordKey: 'admin-password' },
      persistence: { enabled: false },
      resources: small('20m', '96Mi', '300m', '256Mi'),
      sidecar: {
        dashboards: {
          enabled: true,
          label: Object.keys(DASHBOARD_LABEL)[0],
          labelValue: DASHBOARD_LABEL.grafana_dashboard,
          searchNamespace: 'ALL',
        },
        datasources: { enabled: true },
      },
      additionalDataSources: [
        { name: 'Loki', type: 'loki', uid: 'loki', url: SERVICES.loki, access: 'proxy' },
      ],
    },
  };
}

export function lokiValues(): Record<string, unknown> {
  return {
    deploymentMode: 'SingleBinary',
    loki: {
      auth_enabled: false,
      commonConfig: { replication_factor: 1 },
      storage: { type: 'filesystem' },
      schemaConfig: {
        configs: [
          {
            from: '2024-04-01',
            store: 'tsdb',
            object_store: 'filesystem',
            schema: 'v13',
            index: { prefix: 'loki_index_', period: '24h' },
          },
        ],
      },
      limits_config: { retention_period: '72h' },
      compactor: { retention_enabled: true, delete_request_store: 'filesystem' },
      rulerConfig: {
        storage: { type: 'local', local: { directory: LOKI_RULES_DIRECTORY } },
        rule_path: '/var/loki/rules-temp',
        alertmanager_url: SERVICES.alertmanager,
        enable_alertmanager_v2: true,
        enable_api: true,
        ring: { kvstore: { store: 'inmemory' } },
      },
    },
    singleBinary: {
      replicas: 1,
      persistence: { size: '5Gi' },
      resources: small('50m', '256Mi', '1', '768Mi'),
    },
    read: { replicas: 0 },
    write: { replicas: 0 },
    backend: { replicas: 0 },
    chunksCache: { enabled: false },
    resultsCache: { enabled: false },
    gateway: { enabled: false },
    lokiCanary: { enabled: false },
    test: { enabled: false },
    sidecar: {
      rules: {
        enabled: true,
        label: Object.keys(LOKI_RULE_LABEL)[0],
        labelValue: LOKI_RULE_LABEL.loki_rule,
        folder: `${LOKI_RULES_DIRECTORY}/fake`,
        searchNamespace: 'ALL',
      },
    },
  };
}

/**
 * Alloy tails pod logs through the Kubernetes API (no hostPath mounts) and labels them with
 * namespace, pod, container and app, the labels the Loki rules and the dashboard select on.
 */
export function alloyConfig(lokiUrl: string = SERVICES.loki): string {
  return `discovery.kubernetes "pods" {
  role = "pod"
}

discovery.relabel "pods" {
  targets = discovery.kubernetes.pods.targets
  rule {
    source_labels = ["__meta_kubernetes_namespace"]
    target_label  = "namespace"
  }
  rule {
    source_labels = ["__meta_kubernetes_pod_name"]
    target_label  = "pod"
  }
  rule {
    source_labels = ["__meta_kubernetes_pod_container_name"]
    target_label  = "container"
  }
  rule {
    source_labels = ["__meta_kubernetes_pod_label_app_kubernetes_io_name"]
    target_label  = "app"
  }
}

loki.source.kubernetes "pods" {
  targets    = discovery.relabel.pods.output
  forward_to = [loki.write.default.receiver]
}

loki.write "default" {
  endpoint {
    url = "${lokiUrl}/loki/api/v1/push"
  }
}
`;
}

export function alloyValues(): Record<string, unknown> {
  return {
    alloy: {
      configMap: { create: true, content: alloyConfig() },
      mounts: { varlog: false, dockercontainers: false },
      resources: small('20m', '96Mi', '300m', '256Mi'),
    },
    // One tailer is enough on a single node; a DaemonSet would read every pod's logs twice.
    controller: { type: 'deployment', replicas: 1 },
  };
}
