// The cluster check is only as good as its versions: the Kubernetes, Traefik, cert-manager,
// prometheus-operator and helm-controller it builds and generates from must be the ones the stacks
// deploy, and go.mod must build what versions.env says.
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CERT_MANAGER_CHART } from '../../infra/components/certificate-authority';
import { KUBE_PROMETHEUS_STACK } from '../../infra/components/observability/charts';
import * as platform from '../../infra/platform';
import { parseVersions, readVersions } from './versions';

const versions = readVersions();

/**
 * kube-prometheus-stack's `appVersion` is the prometheus-operator it deploys (prometheus-community/
 * helm-charts, tag kube-prometheus-stack-<version>, charts/kube-prometheus-stack/Chart.yaml).
 */
const PROMETHEUS_OPERATOR_OF_CHART: Record<string, string> = { '88.5.3': 'v0.93.1' };
const goMod = (relative: string) => readFileSync(path.join(__dirname, relative), 'utf8');

/** The version a go.mod requires (`\tmodule vX.Y.Z`), or undefined. */
function required(mod: string, module: string): string | undefined {
  const escaped = module.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`^\\s+${escaped} (v\\S+)`, 'm').exec(mod)?.[1];
}

describe('tools/cluster/versions.env', () => {
  it('targets the k3s and Kubernetes the stacks name (infra/platform.ts)', () => {
    expect(versions.K3S_VERSION).toBe(platform.K3S_VERSION);
    expect(versions.KUBERNETES_VERSION).toBe(platform.KUBERNETES_VERSION);
    expect(versions.HELM_CONTROLLER_VERSION).toBe(platform.HELM_CONTROLLER_VERSION);
    expect(versions.TRAEFIK_BUNDLED_VERSION).toBe(platform.TRAEFIK_VERSION);
  });

  it('generates the CRDs of the charts the stacks install', () => {
    expect(versions.CERT_MANAGER_VERSION).toBe(CERT_MANAGER_CHART.version);
    expect(versions.KUBE_PROMETHEUS_STACK_CHART_VERSION).toBe(KUBE_PROMETHEUS_STACK.version);
  });

  it('generates prometheus-operator CRDs at the operator the kube-prometheus-stack chart bundles', () => {
    // A chart moving to a version not listed here fails until its appVersion is added.
    expect(versions.PROMETHEUS_OPERATOR_VERSION).toBe(
      PROMETHEUS_OPERATOR_OF_CHART[KUBE_PROMETHEUS_STACK.version],
    );
  });

  it('takes Traefik CRDs from the bundled release or a later patch of the same minor', () => {
    const parse = (v: string) => (/^v(\d+)\.(\d+)\.(\d+)$/.exec(v) ?? []).slice(1).map(Number);
    const [major, minor, patch] = parse(versions.TRAEFIK_VERSION as string);
    const [bMajor, bMinor, bPatch] = parse(versions.TRAEFIK_BUNDLED_VERSION as string);
    expect([major, minor]).toEqual([bMajor, bMinor]);
    expect(patch).toBeGreaterThanOrEqual(bPatch as number);
  });

  it('is what go.mod builds: the binaries and every staging module at the same Kubernetes release', () => {
    const mod = goMod('go.mod');
    expect(required(mod, 'k8s.io/kubernetes')).toBe(versions.KUBERNETES_VERSION);
    expect(required(mod, 'go.etcd.io/etcd/server/v3')).toBe(versions.ETCD_VERSION);
    expect(required(mod, 'sigs.k8s.io/kwok')).toBe(versions.KWOK_VERSION);
    expect(required(goMod('controller-gen/go.mod'), 'sigs.k8s.io/controller-tools')).toBe(
      versions.CONTROLLER_TOOLS_VERSION,
    );
    const replaced = [...mod.matchAll(/^\s+(k8s\.io\/\S+) => (\S+) (v\S+)$/gm)];
    expect(replaced.length).toBeGreaterThan(20);
    for (const [, from, to, version] of replaced) {
      expect(to, from).toBe(from);
      expect(version, from).toBe(versions.KUBERNETES_STAGING_VERSION);
    }
    const [, minor, patch] = /^v1\.(\d+)\.(\d+)$/.exec(versions.KUBERNETES_VERSION as string) ?? [];
    expect(versions.KUBERNETES_STAGING_VERSION).toBe(`v0.${minor}.${patch}`);
  });

  it('reads NAME=value lines and refuses anything else', () => {
    expect(parseVersions('# c\nA=v1\n\nB_2=x\n')).toEqual({ A: 'v1', B_2: 'x' });
    expect(() => parseVersions('A = v1')).toThrow(/NAME=value/);
  });
});
