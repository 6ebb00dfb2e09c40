import * as k8s from '@pulumi/kubernetes';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { findObject, runProgram, type RecordedResource } from '../testing/mocks';
import { controlSet, withRequirements, type ControlId } from '@secure-workshop/contracts';
import { ObservabilityStack } from './observability-stack';

async function render(controls: ControlId[]) {
  return runProgram({
    stack: 'end',
    config: {},
    program: () => {
      const provider = new k8s.Provider('k8s', {});
      const stack = new ObservabilityStack('observability', {
        context: {
          stack: 'end',
          namespace: 'workshop-end',
          controls: controlSet(controls.flatMap(withRequirements)),
        },
        provider,
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
  it('scrapes the API metrics port and JumpWire on 9568, and installs nothing cluster-wide', async () => {
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
    // Traefik's and cert-manager's monitors, the charts and the monitoring namespace are the add-ons stack's.
    expect(findObject(run.resources, 'ServiceMonitor', 'traefik')).toBeUndefined();
    expect(run.resources.filter((r) => r.type === 'kubernetes:helm.sh/v3:Release')).toEqual([]);
    expect(findObject(run.resources, 'Namespace', 'monitoring')).toBeUndefined();
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
        'ApiAuthFailureBurst',
        'GatewayRefusalBurst',
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

  it('without the firewall or the gateway: no JumpWire monitor and no gateway rules', async () => {
    const run = await render(['observability']);
    expect(findObject(run.resources, 'ServiceMonitor', 'jumpwire')).toBeUndefined();
    expect(findObject(run.resources, 'ServiceMonitor', 'api')).toBeDefined();
    const alerts = (
      spec(findObject(run.resources, 'PrometheusRule', 'security-alerts')).groups as Array<{ name: string }>
    ).map((g) => g.name);
    expect(alerts).not.toContain('secure-workshop-gateway');
  });
});
