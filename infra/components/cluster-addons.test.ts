// The add-ons stack's objects, and what a workshop stack reads instead of installing them.
import * as k8s from '@pulumi/kubernetes';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { findObject, runProgram, type RecordedResource } from '../testing/mocks';
import { controlSet, withRequirements } from '@secure-workshop/contracts';
import { ADDON_CRDS, ClusterAddons, addonsNeeded, useClusterAddons } from './cluster-addons';
import { TRAEFIK_PLUGINS } from './gateway/traefik-config';

function spec(resource: RecordedResource | undefined): Record<string, unknown> {
  expect(resource).toBeDefined();
  return (resource?.inputs.spec ?? {}) as Record<string, unknown>;
}

async function renderAddons() {
  return runProgram({
    stack: 'addons',
    config: {},
    program: () => {
      new ClusterAddons('cluster-addons', { provider: new k8s.Provider('k8s', {}), stack: 'addons' });
      return {};
    },
  });
}

describe('ClusterAddons', () => {
  it('installs cert-manager 1.21, the monitoring charts and the Traefik plugin configuration', async () => {
    const run = await renderAddons();
    expect(run.warnings).toEqual([]);
    const releases = run.resources.filter((r) => r.type === 'kubernetes:helm.sh/v3:Release');
    expect(releases.map((r) => [r.inputs.chart, r.inputs.version, r.inputs.namespace]).sort()).toEqual([
      ['alloy', '1.11.1', 'monitoring'],
      ['cert-manager', 'v1.21.2', 'cert-manager'],
      ['kube-prometheus-stack', '88.5.3', 'monitoring'],
      ['loki', '6.55.0', 'monitoring'],
    ]);
    const config = findObject(run.resources, 'HelmChartConfig', 'traefik');
    expect((config?.inputs.metadata as { namespace: string }).namespace).toBe('kube-system');
    const values = parse(String(spec(config).valuesContent), { version: '1.1' }) as {
      experimental: { plugins: unknown };
    };
    expect(values.experimental.plugins).toEqual(TRAEFIK_PLUGINS);
  });

  it('scrapes Traefik and cert-manager (1.21 calls its port http-metrics) once the operator is there', async () => {
    const run = await renderAddons();
    expect(spec(findObject(run.resources, 'ServiceMonitor', 'traefik'))).toMatchObject({
      namespaceSelector: { matchNames: ['kube-system'] },
      endpoints: [{ port: 'metrics' }],
    });
    const certManager = findObject(run.resources, 'ServiceMonitor', 'cert-manager');
    expect(spec(certManager)).toMatchObject({
      namespaceSelector: { matchNames: ['cert-manager'] },
      endpoints: [{ port: 'http-metrics' }],
    });
    const operator = run.resources.find(
      (r) => r.type === 'kubernetes:helm.sh/v3:Release' && r.inputs.chart === 'kube-prometheus-stack',
    );
    expect(certManager?.dependencies).toContain(operator?.urn);
  });

  it('keeps the monitoring namespace at baseline with a waiver that says why, and a generated Grafana password', async () => {
    const run = await renderAddons();
    const monitoring = findObject(run.resources, 'Namespace', 'monitoring');
    const meta = monitoring?.inputs.metadata as {
      labels: Record<string, string>;
      annotations: Record<string, string>;
    };
    expect(meta.labels['pod-security.kubernetes.io/enforce']).toBe('baseline');
    expect(meta.annotations['secure-workshop.dev/waive-namespace-pod-security']).toMatch(
      /third-party charts/,
    );
    const grafana = findObject(run.resources, 'Secret', 'grafana-admin');
    expect(String((grafana?.inputs.stringData as Record<string, string>)['admin-password'])).toMatch(
      /^[A-Za-z0-9]{32}$/,
    );
    expect(JSON.stringify(grafana?.redactedInputs)).not.toMatch(/admin-password":"[A-Za-z0-9]{32}/);
  });
});

describe('useClusterAddons', () => {
  it('says which add-ons a control set needs', () => {
    expect(addonsNeeded(controlSet([]))).toEqual({ certManager: false, traefik: false, monitoring: false });
    expect(addonsNeeded(controlSet(withRequirements('api-gateway')))).toEqual({
      certManager: true,
      traefik: true,
      monitoring: false,
    });
    expect(addonsNeeded(controlSet(['observability']))).toMatchObject({ monitoring: true });
  });

  it('reads what the stack relies on, and reads nothing when rendering to a directory', async () => {
    const controls = controlSet([...withRequirements('api-gateway'), 'observability']);
    const read = await runProgram({
      stack: 'end',
      config: {},
      program: () => {
        useClusterAddons(controls, new k8s.Provider('k8s', {}), { read: true });
        return {};
      },
    });
    const reads = read.resources.filter((r) => r.name.startsWith('addon-'));
    expect(reads.map((r) => [r.type, r.name]).sort()).toEqual([
      ['kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition', 'addon-cert-manager'],
      ['kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition', 'addon-prometheus-operator'],
      ['kubernetes:helm.cattle.io/v1:HelmChartConfig', 'addon-traefik-config'],
    ]);
    expect(ADDON_CRDS.certManager).toBe('certificates.cert-manager.io');
    const none = await runProgram({
      stack: 'end',
      config: {},
      program: () => {
        useClusterAddons(controls, new k8s.Provider('k8s', {}), { read: false });
        return {};
      },
    });
    expect(none.resources.filter((r) => r.name.startsWith('addon-'))).toEqual([]);
  });
});
