// The engine's state and the offline synthesis agree when they name and configure the same resources.
import { describe, expect, it } from 'vitest';
import type { SynthResource } from '../../infra/tools/model';
import { compareState, differences, engineUrns } from './compare-state';

const STACK = 'urn:pulumi:dev::secure-workshop::pulumi:pulumi:Stack::secure-workshop-dev';
const offline = (
  type: string,
  name: string,
  parent: string | undefined,
  inputs: Record<string, unknown> = {},
  secretPaths: string[] = [],
): SynthResource => ({
  urn: `urn:pulumi:dev::secure-workshop::${parent === undefined || parent === STACK ? 'pulumi:pulumi:Stack' : (parent.split('::')[2] as string).split('$').pop()}$${type}::${name}`,
  type,
  name,
  custom: type.startsWith('kubernetes:'),
  ...(parent === undefined ? {} : { parent }),
  dependsOn: [],
  inputs,
  secretPaths,
});

describe('engineUrns', () => {
  it("qualifies a type with every ancestor's type but the stack's, as the engine does", () => {
    const stack: SynthResource = {
      ...offline('pulumi:pulumi:Stack', 'secure-workshop-dev', undefined),
      urn: STACK,
    };
    const namespace = offline('kubernetes:core/v1:Namespace', 'namespace', STACK);
    const api = offline('secure-workshop:index:SecureApi', 'api', STACK);
    const inner = offline('secure-workshop:index:Inner', 'inner', api.urn);
    const service = offline('kubernetes:core/v1:Service', 'svc', inner.urn);
    const urns = engineUrns([stack, namespace, api, inner, service]);
    expect(urns.get(STACK)).toBe(STACK);
    expect(urns.get(namespace.urn)).toBe(
      'urn:pulumi:dev::secure-workshop::kubernetes:core/v1:Namespace::namespace',
    );
    expect(urns.get(service.urn)).toBe(
      'urn:pulumi:dev::secure-workshop::secure-workshop:index:SecureApi$secure-workshop:index:Inner$kubernetes:core/v1:Service::svc',
    );
  });
});

describe('compareState', () => {
  const secretInputs = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, data: { k: 'dg==' } };
  const synthesized = [
    offline('kubernetes:core/v1:Secret', 's', STACK, secretInputs, ['data.k']),
    offline('kubernetes:core/v1:ConfigMap', 'c', STACK, {
      kind: 'ConfigMap',
      data: { a: '1' },
      metadata: {},
    }),
  ];
  const state = (configMapData: Record<string, string>) => [
    {
      urn: 'urn:pulumi:dev::secure-workshop::kubernetes:core/v1:Secret::s',
      type: 'kubernetes:core/v1:Secret',
      custom: true,
      inputs: {
        ...secretInputs,
        data: { '4dabf18193072939515e22adb298388d': '1b47061264138c4ac30d75fd1eb44270', ciphertext: 'x' },
      },
    },
    {
      urn: 'urn:pulumi:dev::secure-workshop::kubernetes:core/v1:ConfigMap::c',
      type: 'kubernetes:core/v1:ConfigMap',
      custom: true,
      inputs: { kind: 'ConfigMap', data: configMapData, metadata: { labels: {} } },
    },
  ];

  it('agrees when the inputs match, secrets and empty maps aside', () => {
    expect(compareState(state({ a: '1' }), synthesized)).toEqual([]);
  });

  it('names each differing input and each resource only one side has', () => {
    expect(compareState(state({ a: '2' }), synthesized)).toEqual([
      'kubernetes:core/v1:ConfigMap::c: data.a: engine "2" != offline "1"',
    ]);
    expect(compareState(state({ a: '1' }).slice(1), synthesized)).toEqual([
      'kubernetes:core/v1:Secret::s: only in the offline synthesis',
    ]);
  });

  it('compares lists item by item', () => {
    expect(differences({ a: [1, 2] }, { a: [1, 3] })).toEqual(['a[1]: engine 2 != offline 3']);
  });
});
