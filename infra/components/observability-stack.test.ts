import * as k8s from '@pulumi/kubernetes';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { findObject, runProgram, type RecordedResource } from '../testing/mocks';
import { controlSet, withRequirements, type ControlId } from '../stacks/controls';
import { ObservabilityStack } from './observability-stack';

async function render(controls: ControlId[], installClusterAddons = true) {
  return runProgram({
    stack: 'end',
    config: {},
    program: () => {
      const provider = new k8s.Provider('k8s', {});
      const stack = new ObservabilityStack('observability', {
        namespace: 'workshop-end',
        stack: 'end',
        controls: controlSet(controls.flatMap(withRequirements)),
        provider,
        installClusterAddons,
      });
      return { rule: stack.prometheusRuleName };
    },
  });
}

function spec(resource: RecordedResource | undefined): Record<string, unknown> {
  expect(resource).toBeDefined();
  return (resource?.inputs.spec ?? {}) as Record<string, unknown>;
}

function metadata(resource: RecordedResource | undefined) {
  return resource?.inputs.metadata as {
    namespace: string;
    labels: Record<string, string>;
    annotations: Record<string, string>;
  };
}

const all: ControlId[] = [
  'observability',
  'api-gateway',
  'db-firewall',
  'encrypted-backups',
  'mtls-internal',
];

describe('ObservabilityStack under the mock runtime', () => {
  it('installs the three charts pinned into monitoring, with k3s embedded targets off', async () => {
    const run = await render(all);
    expect(run.warnings).toEqual([]);
    const releases = run.resources.filter((r) => r.type === 'kubernetes:helm.sh/v3:Release');
    const byChart = new Map(releases.map((r) => [String(r.inputs.chart), r]));
    expect(
      [...byChart.values()].map((r) => [r.inputs.chart, r.inputs.version, r.inputs.namespace]).sort(),
    ).toEqual([
      ['alloy', '1.11.1', 'monitoring'],
      ['kube-prometheus-stack', '88.5.3', 'monitoring'],
      ['loki', '6.55.0', 'monitoring'],
    ]);
    const kps = byChart.get('kube-prometheus-stack')?.inputs.values as Record<string, { enabled?: boolean }>;
    for (const part of ['kubeEtcd', 'kubeControllerManager', 'kubeScheduler', 'kubeProxy'])
      expect(kps[part]?.enabled).toBe(false);
    const loki = byChart.get('loki')?.inputs.values as {
      deploymentMode: string;
      loki: { storage: { type: string } };
    };
    expect(loki.deploymentMode).toBe('SingleBinary');
    expect(loki.loki.storage.type).toBe('filesystem');
    const monitoring = findObject(run.resources, 'Namespace', 'monitoring');
    expect(metadata(monitoring).labels['pod-security.kubernetes.io/enforce']).toBe('baseline');
    expect(metadata(monitoring).annotations['secure-workshop.dev/waive-namespace-pod-security']).toMatch(
      /third-party charts/,
    );
    const grafana = findObject(run.resources, 'Secret', 'grafana-admin');
    // The whole stringData is secret (the password is), so nothing readable reaches a rendering.
    expect(JSON.stringify(grafana?.redactedInputs)).not.toMatch(/admin-password":"[A-Za-z0-9]{32}/);
    expect(String((grafana?.inputs.stringData as Record<string, string>)['admin-password'])).toMatch(
      /^[A-Za-z0-9]{32}$/,
    );
  });

  it('scrapes the API metrics port, JumpWire on 9568, Traefik and cert-manager', async () => {
    const run = await render(all);
    const api = findObject(run.resources, 'ServiceMonitor', 'api');
    expect(metadata(api).namespace).toBe('workshop-end');
    expect(spec(api)).toMatchObject({
      selector: { matchLabels: { 'app.kubernetes.io/name': 'api' } },
      endpoints: [{ port: 'metrics', path: '/metrics' }],
    });
    expect(spec(findObject(run.resources, 'ServiceMonitor', 'jumpwire'))).toMatchObject({
      endpoints: [{ targetPort: 9568 }],
    });
    expect(spec(findObject(run.resources, 'ServiceMonitor', 'traefik'))).toMatchObject({
      namespaceSelector: { matchNames: ['kube-system'] },
      endpoints: [{ port: 'metrics' }],
    });
    expect(spec(findObject(run.resources, 'ServiceMonitor', 'cert-manager'))).toMatchObject({
      namespaceSelector: { matchNames: ['cert-manager'] },
      endpoints: [{ port: 'tcp-prometheus-servicemonitor' }],
    });
    expect(metadata(api).annotations['secure-workshop.dev/controls']).toBe('observability');
  });

  it('adds the security PrometheusRule, the Loki rules and the dashboard for the sidecars', async () => {
    const run = await render(all);
    const rule = findObject(run.resources, 'PrometheusRule', 'security-alerts');
    const alerts = (spec(rule).groups as Array<{ rules: Array<{ alert: string }> }>).flatMap((g) =>
      g.rules.map((r) => r.alert),
    );
    expect(alerts).toEqual(
      expect.arrayContaining([
        'GatewayAuthFailureSpike',
        'GatewayRateLimitSpike',
        'CertificateExpiringSoon',
        'ReconcilerStale',
      ]),
    );
    expect(run.outputs.rule).toBe('security-alerts');

    const lokiRules = findObject(run.resources, 'ConfigMap', 'loki-security-rules');
    expect(metadata(lokiRules).labels.loki_rule).toBe('1');
    const file = Object.values(lokiRules?.inputs.data as Record<string, string>)[0] ?? '';
    const groups = (parse(file) as { groups: Array<{ rules: Array<{ alert: string }> }> }).groups;
    expect(groups.flatMap((g) => g.rules.map((r) => r.alert))).toEqual([
      'PostgresAuthFailures',
      'ApiAuditDenials',
      'Fail2banBans',
    ]);

    const dashboard = findObject(run.resources, 'ConfigMap', 'security-dashboard');
    expect(metadata(dashboard).labels.grafana_dashboard).toBe('1');
    const model = JSON.parse(Object.values(dashboard?.inputs.data as Record<string, string>)[0] ?? '{}') as {
      panels: unknown[];
    };
    expect(model.panels.length).toBeGreaterThanOrEqual(6);
  });

  it('leaves the cluster alone without installClusterAddons but still ships its own monitors and rules', async () => {
    const run = await render(['observability'], false);
    expect(run.resources.filter((r) => r.type === 'kubernetes:helm.sh/v3:Release')).toEqual([]);
    expect(findObject(run.resources, 'Namespace', 'monitoring')).toBeUndefined();
    expect(findObject(run.resources, 'ServiceMonitor', 'traefik')).toBeUndefined();
    expect(findObject(run.resources, 'ServiceMonitor', 'jumpwire')).toBeUndefined();
    expect(findObject(run.resources, 'ServiceMonitor', 'api')).toBeDefined();
    const alerts = (
      spec(findObject(run.resources, 'PrometheusRule', 'security-alerts')).groups as Array<{ name: string }>
    ).map((g) => g.name);
    expect(alerts).not.toContain('secure-workshop-gateway');
  });
});
