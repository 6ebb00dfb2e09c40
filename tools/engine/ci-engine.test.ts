// The engine run's plan and verdicts: which steps run, which are BLOCKED and why, what counts as a problem.
import { describe, expect, it } from 'vitest';
import {
  KUBERNETES_ONLY_CONTROLS,
  blockingPlugins,
  comparePolicies,
  engineSteps,
  isExpectedWarning,
  kubernetesObjects,
  pluginsOf,
} from './ci-engine';
import type { SynthResource } from '../../infra/tools/model';

const resource = (type: string, inputs: Record<string, unknown> = {}, custom = true): SynthResource => ({
  urn: `urn:pulumi:dev::p::${type}::x`,
  type,
  name: 'x',
  custom,
  dependsOn: [],
  inputs,
  secretPaths: [],
});

describe('engineSteps', () => {
  it("runs the add-ons, then the guide's path as one dev stack, then start with the Kubernetes-only controls", () => {
    const steps = engineSteps(
      new Map<string, Record<string, unknown> | undefined>([
        ['addons', { 'secure-workshop:clusterAddons': 'own' }],
        ['start', { 'secure-workshop:controls': [] }],
        ['step1', { 'secure-workshop:controls': ['a'] }],
        ['end', { 'secure-workshop:controls': ['a', 'b'] }],
      ]),
      ['start', 'step1', 'end'],
    );
    expect(steps.map((step) => [step.name, step.stack])).toEqual([
      ['addons', 'addons'],
      ['start', 'dev'],
      ['step1', 'dev'],
      ['end', 'dev'],
      ['start+kubernetes-only', 'dev'],
    ]);
    expect(steps.at(-1)).toMatchObject({
      config: { 'secure-workshop:controls': KUBERNETES_ONLY_CONTROLS },
      synth: { stack: 'start', stackName: 'dev', controls: KUBERNETES_ONLY_CONTROLS },
    });
  });
});

describe('plugins', () => {
  const resources = [
    resource('pulumi:pulumi:Stack', {}, false),
    resource('secure-workshop:index:SecureApi', {}, false),
    resource('pulumi:providers:kubernetes'),
    resource('kubernetes:core/v1:Secret'),
    resource('random:index/randomPassword:RandomPassword'),
  ];
  it('are the packages of custom resources and providers', () => {
    expect(pluginsOf(resources)).toEqual(['kubernetes', 'random']);
  });

  it('block a stack when build.sh could not build one it needs', () => {
    const unavailable = [
      { name: 'random', version: '4.21.2', command: 'go list ...', answer: '403' },
      { name: 'tls', version: '5.6.1', command: 'go list ...', answer: '403' },
    ];
    expect(blockingPlugins(resources, unavailable).map((p) => p.name)).toEqual(['random']);
    expect(blockingPlugins(resources.slice(0, 4), unavailable)).toEqual([]);
  });
});

describe('isExpectedWarning', () => {
  it("forgives only the engine's version warning for a plugin build.sh substituted", () => {
    const substituted = ['kubernetes 4.34.2: served by provider source 4.25.0 (...)'];
    const warning =
      'resource plugin kubernetes is expected to have version >=4.34.2, but has 4.25.0; the wrong version may be on your path';
    expect(isExpectedWarning(warning, substituted)).toBe(true);
    expect(isExpectedWarning(warning.replace('kubernetes', 'random'), substituted)).toBe(false);
    expect(isExpectedWarning('Deployment api: spec.template... deprecated', substituted)).toBe(false);
  });
});

describe('comparePolicies', () => {
  it('lists findings only one side has, by level, policy and URN', () => {
    const finding = (policy: string, urn = 'u') => ({ policy, urn, enforcementLevel: 'mandatory' as const });
    expect(comparePolicies([finding('a'), finding('b')], [finding('a'), finding('b')])).toEqual([]);
    expect(comparePolicies([finding('a')], [finding('a'), finding('c', 'v')])).toEqual([
      '- mandatory c v (offline only)',
    ]);
  });
});

describe('kubernetesObjects', () => {
  it('keeps the objects the provider creates, not patches, Helm releases or components', () => {
    const namespace = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'n' } };
    expect(
      kubernetesObjects([
        resource('kubernetes:core/v1:Namespace', namespace),
        resource('kubernetes:core/v1:NamespacePatch', namespace),
        resource('kubernetes:helm.sh/v3:Release', { chart: 'c' }),
        resource('secure-workshop:index:SecureApi', {}, false),
      ]),
    ).toEqual([namespace]);
  });
});
