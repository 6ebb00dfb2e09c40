import * as pulumi from '@pulumi/pulumi';
import * as random from '@pulumi/random';
import * as tls from '@pulumi/tls';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { runProgram, SECRET_PLACEHOLDER } from './mocks';
import { loadStackConfig } from './stack-config';

class Box extends pulumi.ComponentResource {
  constructor(name: string) {
    super('secure-workshop:index:Box', name, {}, {});
    const key = new tls.PrivateKey(
      `${name}-key`,
      { algorithm: 'ECDSA', ecdsaCurve: 'P256' },
      { parent: this },
    );
    new tls.SelfSignedCert(
      `${name}-cert`,
      {
        privateKeyPem: key.privateKeyPem,
        isCaCertificate: true,
        validityPeriodHours: 48,
        allowedUses: ['cert_signing'],
        subject: { commonName: 'mock CA' },
      },
      { parent: this },
    );
    const password = new random.RandomPassword(
      `${name}-password`,
      { length: 40, special: false },
      { parent: this },
    );
    // Computed from a secret output: secret too, as under the engine.
    const derived = password.result.apply((result) => `${result.length} characters`);
    new random.RandomUuid(`${name}-uuid`, { keepers: { derived } }, { parent: this });
    this.registerOutputs({});
  }
}

describe('mocks', () => {
  it('records resources with parents and realistic outputs', async () => {
    const run = await runProgram({
      stack: 'mocktest',
      config: {},
      program: () => {
        new Box('box');
        return { greeting: pulumi.secret('hello') };
      },
    });
    const byName = new Map(run.resources.map((resource) => [resource.name, resource]));
    const box = byName.get('box')!;
    expect(box.type).toBe('secure-workshop:index:Box');
    expect(byName.get('box-key')!.parent).toBe(box.urn);
    const key = byName.get('box-key')!.state.privateKeyPem as string;
    expect(createPrivateKey(key).asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
    const cert = new X509Certificate(byName.get('box-cert')!.state.certPem as string);
    expect(cert.ca).toBe(true);
    expect(cert.subject).toContain('CN=mock CA');
    expect(cert.checkPrivateKey(createPrivateKey(key))).toBe(true);
    expect(byName.get('box-cert')!.redactedInputs.privateKeyPem).toBe(SECRET_PLACEHOLDER);
    const password = byName.get('box-password')!.state.result as string;
    expect(password).toMatch(/^[A-Za-z0-9]{40}$/);
    expect(byName.get('box-uuid')!.secretPaths).toEqual(['keepers.derived']);
    expect(byName.get('box-uuid')!.inputs.keepers).toEqual({ derived: '40 characters' });
    expect(byName.get('box-uuid')!.state.result).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    expect(run.outputs).toEqual({ greeting: 'hello' });
    expect(run.warnings).toEqual([]);
  });

  it('reads the stack files as the CLI hands config to the program: strings, lists as JSON', () => {
    expect(loadStackConfig('start')).toEqual({ 'secure-workshop:controls': '[]' });
    expect(JSON.parse(loadStackConfig('end')['secure-workshop:controls']!)).toHaveLength(13);
    expect(loadStackConfig('end', { controls: ['db-tls'] })).toEqual({
      'secure-workshop:controls': '["db-tls"]',
    });
  });
});
