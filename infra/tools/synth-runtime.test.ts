import { describe, expect, it } from 'vitest';
import { buildResult, type Recorded, type ResourceRequest } from './synth-runtime';

const SECRET = { '4dabf18193072939515e22adb298388d': '1b47061264138c4ac30d75fd1eb44270' };

function registration(
  type: string,
  name: string,
  inputs: Record<string, unknown>,
  extra: Partial<ResourceRequest> = {},
): ResourceRequest {
  return {
    getType: () => type,
    getName: () => name,
    getParent: () => 'urn:stack',
    getProvider: () => '',
    getCustom: () => true,
    getDependenciesList: () => [],
    getObject: () => ({ toJavaScript: () => inputs }),
    ...extra,
  };
}

describe('buildResult', () => {
  it('treats outputs the SDK declares secret as secrets wherever their value is reused', () => {
    const recorded: Recorded[] = [
      {
        request: registration(
          'acme:index:Token',
          'api-token',
          { length: 32 },
          { getAdditionalsecretoutputsList: () => ['value'] },
        ),
        urn: 'urn:token',
        state: { length: 32, value: 'tok_0123456789abcdef', id: '3f1c2a9e-0000-4000-8000-000000000001' },
      },
      {
        request: registration('kubernetes:core/v1:ConfigMap', 'settings', {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          data: { url: 'https://x?token=tok_0123456789abcdef', plain: 'hello' },
        }),
        urn: 'urn:cm',
      },
      {
        request: registration('kubernetes:core/v1:Secret', 'creds', {
          apiVersion: 'v1',
          kind: 'Secret',
          stringData: { ...SECRET, value: { password: 'p' } },
        }),
        urn: 'urn:secret',
      },
    ];
    const result = buildResult('s', [], recorded);
    expect(result.secretValues).toEqual(['tok_0123456789abcdef']);
    const byName = Object.fromEntries(result.resources.map((r) => [r.name, r]));
    expect(byName['settings']?.secretPaths).toEqual(['data.url']);
    expect(byName['creds']?.secretPaths).toEqual(['stringData']);
    expect(byName['creds']?.inputs.stringData).toEqual({ password: 'p' });
    expect(byName['api-token']?.outputSecretPaths).toContain('value');
    // Values that change per run but are not secret get a stable label instead.
    expect(result.generatedValues).toEqual({
      '3f1c2a9e-0000-4000-8000-000000000001': '[generated api-token.id]',
    });
  });
});
