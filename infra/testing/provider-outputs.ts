// What the providers would answer, computed from a resource's inputs: real keys and self-signed
// certificates, passwords of the requested alphabet and length, stable UUIDs and Kubernetes uids.
import 'reflect-metadata';
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  randomInt,
  webcrypto,
} from 'node:crypto';
import * as x509 from '@peculiar/x509';
import type * as pulumi from '@pulumi/pulumi';
import { plainValue } from './secret-values';

x509.cryptoProvider.set(webcrypto);

/** A stable UUID-shaped value derived from a name, so ids stay the same between runs. */
function deterministicUuid(seed: string): string {
  const hex = createHash('sha256').update(seed).digest('hex');
  const variant = ((parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const LOWER = 'abcdefghijklmnopqrstuvwxyz';
const DIGITS = '0123456789';
const DEFAULT_SPECIAL = '!@#$%&*()-_=+[]{}<>:?';

/** A password as random.RandomPassword would make it from these inputs. */
function mockPassword(inputs: Record<string, unknown>): string {
  const length = typeof inputs.length === 'number' ? inputs.length : 16;
  let alphabet = '';
  if (inputs.upper !== false) alphabet += UPPER;
  if (inputs.lower !== false) alphabet += LOWER;
  if (inputs.numeric !== false) alphabet += DIGITS;
  if (inputs.special !== false) {
    alphabet += typeof inputs.overrideSpecial === 'string' ? inputs.overrideSpecial : DEFAULT_SPECIAL;
  }
  if (alphabet === '') alphabet = LOWER;
  return Array.from({ length }, () => alphabet[randomInt(alphabet.length)]).join('');
}

interface KeyMaterial {
  privateKeyPem: string;
  privateKeyPemPkcs8: string;
  publicKeyPem: string;
  publicKeyOpenssh: string;
  publicKeyFingerprintSha256: string;
}

function keyMaterial(inputs: Record<string, unknown>): KeyMaterial {
  const algorithm = typeof inputs.algorithm === 'string' ? inputs.algorithm : 'RSA';
  const pair =
    algorithm === 'ECDSA'
      ? generateKeyPairSync('ec', {
          namedCurve: (
            { P224: 'P-224', P256: 'P-256', P384: 'P-384', P521: 'P-521' } as Record<string, string>
          )[String(inputs.ecdsaCurve ?? 'P224')]!,
        })
      : algorithm === 'ED25519'
        ? generateKeyPairSync('ed25519')
        : generateKeyPairSync('rsa', {
            modulusLength: typeof inputs.rsaBits === 'number' ? inputs.rsaBits : 2048,
          });
  const pkcs8 = pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const traditional =
    algorithm === 'ECDSA'
      ? pair.privateKey.export({ type: 'sec1', format: 'pem' }).toString()
      : algorithm === 'RSA'
        ? pair.privateKey.export({ type: 'pkcs1', format: 'pem' }).toString()
        : pkcs8;
  const spki = pair.publicKey.export({ type: 'spki', format: 'der' });
  return {
    privateKeyPem: traditional,
    privateKeyPemPkcs8: pkcs8,
    publicKeyPem: pair.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    publicKeyOpenssh: `ssh-key ${spki.toString('base64')}\n`,
    publicKeyFingerprintSha256: `SHA256:${createHash('sha256').update(spki).digest('base64').replace(/=+$/, '')}`,
  };
}

function signingAlgorithmFor(key: webcrypto.CryptoKey): webcrypto.EcdsaParams | webcrypto.Algorithm {
  return key.algorithm.name === 'ECDSA' ? { name: 'ECDSA', hash: 'SHA-256' } : key.algorithm;
}

async function importKeys(privateKeyPem: string): Promise<webcrypto.CryptoKeyPair> {
  const privateKey = createPrivateKey(privateKeyPem);
  const publicKey = createPublicKey(privateKey);
  const type = privateKey.asymmetricKeyType;
  const curves: Record<string, string> = { prime256v1: 'P-256', secp384r1: 'P-384', secp521r1: 'P-521' };
  const normalized =
    type === 'ec'
      ? { name: 'ECDSA', namedCurve: curves[String(privateKey.asymmetricKeyDetails?.namedCurve)] ?? 'P-256' }
      : type === 'ed25519'
        ? { name: 'Ed25519' }
        : { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
  return {
    privateKey: await webcrypto.subtle.importKey(
      'pkcs8',
      privateKey.export({ type: 'pkcs8', format: 'der' }),
      normalized,
      false,
      ['sign'],
    ),
    publicKey: await webcrypto.subtle.importKey(
      'spki',
      publicKey.export({ type: 'spki', format: 'der' }),
      normalized,
      true,
      ['verify'],
    ),
  };
}

function distinguishedName(subject: unknown): string {
  const fields = (subject ?? {}) as Record<string, unknown>;
  const parts: string[] = [];
  if (typeof fields.commonName === 'string') parts.push(`CN=${fields.commonName}`);
  if (typeof fields.organization === 'string') parts.push(`O=${fields.organization}`);
  return parts.length > 0 ? parts.join(', ') : 'CN=mock';
}

/** A real self-signed certificate for tls.SelfSignedCert, signed with the key in its inputs. */
async function selfSignedCert(inputs: Record<string, unknown>): Promise<Record<string, unknown>> {
  const keyPem =
    typeof inputs.privateKeyPem === 'string'
      ? inputs.privateKeyPem
      : keyMaterial({ algorithm: 'ECDSA', ecdsaCurve: 'P256' }).privateKeyPem;
  const keys = await importKeys(keyPem);
  const hours = typeof inputs.validityPeriodHours === 'number' ? inputs.validityPeriodHours : 24;
  const notBefore = new Date();
  const notAfter = new Date(notBefore.getTime() + hours * 3_600_000);
  const isCa = inputs.isCaCertificate === true;
  const name = distinguishedName(inputs.subject);
  const extensions: x509.Extension[] = [new x509.BasicConstraintsExtension(isCa, undefined, true)];
  if (isCa) {
    extensions.push(
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature,
        true,
      ),
    );
    extensions.push(await x509.SubjectKeyIdentifierExtension.create(keys.publicKey));
  }
  const certificate = await x509.X509CertificateGenerator.create({
    serialNumber: createHash('sha256').update(`${name}${notBefore.toISOString()}`).digest('hex').slice(0, 16),
    subject: name,
    issuer: name,
    notBefore,
    notAfter,
    publicKey: keys.publicKey,
    signingKey: keys.privateKey,
    signingAlgorithm: signingAlgorithmFor(keys.privateKey),
    extensions,
  });
  return {
    certPem: certificate.toString('pem'),
    validityStartTime: notBefore.toISOString(),
    validityEndTime: notAfter.toISOString(),
    readyForRenewal: false,
  };
}

function kubernetesState(inputs: Record<string, unknown>, name: string): Record<string, unknown> {
  const metadata = { ...((inputs.metadata ?? {}) as Record<string, unknown>) };
  if (metadata.name === undefined)
    metadata.name = `${name}-${createHash('sha256').update(name).digest('hex').slice(0, 8)}`;
  return { ...inputs, metadata: { ...metadata, uid: deterministicUuid(`uid:${name}`) } };
}

/** Outputs a provider would return for a resource, computed from its inputs. */
async function mockOutputs(
  type: string,
  name: string,
  inputs: Record<string, unknown>,
): Promise<Record<string, unknown>> {
  switch (type) {
    case 'tls:index/privateKey:PrivateKey':
      return { ...inputs, ...keyMaterial(inputs) };
    case 'tls:index/selfSignedCert:SelfSignedCert':
      return { ...inputs, ...(await selfSignedCert(inputs)) };
    case 'random:index/randomPassword:RandomPassword': {
      const result = mockPassword(inputs);
      return {
        ...inputs,
        result,
        bcryptHash: `$2a$10$${createHash('sha256').update(result).digest('base64').slice(0, 53)}`,
      };
    }
    case 'random:index/randomString:RandomString':
      return { ...inputs, result: mockPassword(inputs) };
    case 'random:index/randomUuid:RandomUuid':
      return { ...inputs, result: deterministicUuid(`uuid:${name}`) };
    case 'random:index/randomInteger:RandomInteger':
      return { ...inputs, result: inputs.min };
    case 'random:index/randomId:RandomId':
    case 'random:index/randomBytes:RandomBytes': {
      const length = Number(inputs.byteLength ?? inputs.length ?? 16);
      const bytes = Buffer.from(Array.from({ length }, () => randomInt(256)));
      return {
        ...inputs,
        hex: bytes.toString('hex'),
        b64Std: bytes.toString('base64'),
        b64Url: bytes.toString('base64url'),
        base64: bytes.toString('base64'),
        dec: BigInt(`0x${bytes.toString('hex') || '0'}`).toString(),
      };
    }
    case 'kubernetes:helm.sh/v3:Release':
      return {
        ...inputs,
        status: {
          name: inputs.name,
          namespace: inputs.namespace,
          status: 'deployed',
          version: inputs.version,
        },
      };
    default:
      return type.startsWith('kubernetes:') && type !== 'pulumi:providers:kubernetes'
        ? kubernetesState(inputs, name)
        : { ...inputs };
  }
}

function mockId(type: string, name: string, state: Record<string, unknown>): string {
  const metadata = state.metadata as { name?: unknown; namespace?: unknown } | undefined;
  if (metadata && typeof metadata.name === 'string') {
    return typeof metadata.namespace === 'string' ? `${metadata.namespace}/${metadata.name}` : metadata.name;
  }
  if (type === 'random:index/randomUuid:RandomUuid' && typeof state.result === 'string') return state.result;
  return `${name}-id`;
}

/** Pulumi mocks whose every answer is what the provider would return for these inputs. */
export const providerMocks: pulumi.runtime.Mocks = {
  async newResource(args: pulumi.runtime.MockResourceArgs): Promise<pulumi.runtime.MockResourceResult> {
    const inputs = plainValue(args.inputs) as Record<string, unknown>;
    const state = await mockOutputs(args.type, args.name, inputs);
    return { id: mockId(args.type, args.name, state), state };
  },
  call(args: pulumi.runtime.MockCallArgs): pulumi.runtime.MockCallResult {
    return plainValue(args.inputs) as Record<string, unknown>;
  },
};
