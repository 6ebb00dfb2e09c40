import * as pulumi from '@pulumi/pulumi';
import { describe, expect, it } from 'vitest';
import { maskSecrets, plainValue, WIRE_SIGNATURES } from './secret-values';

const SECRET = { [pulumi.runtime.specialSigKey]: pulumi.runtime.specialSecretSig };
const RESOURCE = { [pulumi.runtime.specialSigKey]: pulumi.runtime.specialResourceSig };

describe('WIRE_SIGNATURES', () => {
  it("are the SDK's", () => {
    const { runtime } = pulumi;
    expect(WIRE_SIGNATURES).toEqual({
      key: runtime.specialSigKey,
      secret: runtime.specialSecretSig,
      resource: runtime.specialResourceSig,
      asset: runtime.specialAssetSig,
      archive: runtime.specialArchiveSig,
      outputValue: runtime.specialOutputValueSig,
    });
  });
});

describe('plainValue', () => {
  it('returns plain values and the path of every wrapped secret', () => {
    const paths: string[] = [];
    const plain = plainValue(
      {
        stringData: { ...SECRET, value: { password: 'p4ss' } },
        args: ['a', { ...SECRET, value: 'b' }],
        provider: { ...RESOURCE, urn: 'urn:pulumi:s::p::pulumi:providers:kubernetes::k8s' },
      },
      [],
      paths,
    );
    expect(plain).toEqual({
      stringData: { password: 'p4ss' },
      args: ['a', 'b'],
      provider: 'urn:pulumi:s::p::pulumi:providers:kubernetes::k8s',
    });
    expect(paths).toEqual(['stringData', 'args.1']);
  });
});

describe('maskSecrets', () => {
  it('replaces secret leaves and keeps the key names of secret maps', () => {
    const masked = maskSecrets(
      { stringData: { user: 'app', password: 'x' }, env: [{ value: 'y' }], keep: 'z' },
      ['stringData', 'env.0.value'],
    );
    expect(masked).toEqual({
      stringData: { user: '[secret]', password: '[secret]' },
      env: [{ value: '[secret]' }],
      keep: 'z',
    });
  });
});
