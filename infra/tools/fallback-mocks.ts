import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import type * as pulumi from '@pulumi/pulumi';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

function randomText(length: number): string {
  const bytes = randomBytes(length);
  return Array.from(bytes, (byte) => ALPHABET[byte % ALPHABET.length]).join('');
}

function pem(label: string, der: Buffer): string {
  const body = der.toString('base64').replace(/(.{64})/g, '$1\n');
  return `-----BEGIN ${label}-----\n${body.trimEnd()}\n-----END ${label}-----\n`;
}

function privateKeyOutputs(inputs: Record<string, unknown>): Record<string, string> {
  const rsa = inputs.algorithm === 'RSA';
  const pair = rsa
    ? generateKeyPairSync('rsa', { modulusLength: Number(inputs.rsaBits ?? 2048) })
    : generateKeyPairSync('ec', { namedCurve: inputs.ecdsaCurve === 'P384' ? 'P-384' : 'P-256' });
  return {
    privateKeyPem: pair.privateKey.export({ type: rsa ? 'pkcs1' : 'sec1', format: 'pem' }).toString(),
    privateKeyPemPkcs8: pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKeyPem: pair.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

/**
 * Outputs for the generators the program uses, used only when infra/testing/mocks.ts is absent:
 * real keys, UUIDs and passwords of the requested length; certificates are opaque PEM blocks.
 */
export const fallbackMocks: pulumi.runtime.Mocks = {
  newResource(args) {
    const inputs = args.inputs as Record<string, unknown>;
    const state: Record<string, unknown> = { ...inputs };
    const length = Number(inputs.length ?? 16);
    switch (args.type) {
      case 'random:index/randomPassword:RandomPassword':
      case 'random:index/randomString:RandomString':
        state.result = randomText(length);
        break;
      case 'random:index/randomUuid:RandomUuid':
        state.result = randomUUID();
        break;
      case 'random:index/randomBytes:RandomBytes': {
        const bytes = randomBytes(length);
        Object.assign(state, { base64: bytes.toString('base64'), hex: bytes.toString('hex') });
        break;
      }
      case 'random:index/randomId:RandomId': {
        const bytes = randomBytes(Number(inputs.byteLength ?? 8));
        Object.assign(state, { hex: bytes.toString('hex'), b64Url: bytes.toString('base64url') });
        break;
      }
      case 'tls:index/privateKey:PrivateKey':
        Object.assign(state, privateKeyOutputs(inputs));
        break;
      case 'tls:index/selfSignedCert:SelfSignedCert':
      case 'tls:index/locallySignedCert:LocallySignedCert':
        state.certPem = pem('CERTIFICATE', randomBytes(300));
        break;
      case 'tls:index/certRequest:CertRequest':
        state.certRequestPem = pem('CERTIFICATE REQUEST', randomBytes(200));
        break;
    }
    return { id: `${args.name}-id`, state };
  },
  call(args) {
    return args.inputs as Record<string, unknown>;
  },
};
