// cert-manager's CA issuer, for the walk: a `Certificate` (cert-manager.io/v1) becomes the Secret
// `spec.secretName` with tls.crt, tls.key and ca.crt, signed by the CA in the ClusterIssuer's Secret
// (namespace cert-manager), for the Certificate's names, usages and key (ECDSA, PKCS#8).
import 'reflect-metadata';
import { createPrivateKey, webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { type KubeObject, WalkError } from './objects';

x509.cryptoProvider.set(webcrypto);

type CryptoKey = webcrypto.CryptoKey;

export interface CertificateAuthorityPem {
  cert: string;
  key: string;
}

export interface IssuedSecret {
  'tls.crt': string;
  'tls.key': string;
  'ca.crt': string;
}

interface CertificateSpec {
  secretName: string;
  commonName?: string;
  dnsNames?: string[];
  ipAddresses?: string[];
  duration?: string;
  usages?: string[];
  isCA?: boolean;
  privateKey?: { algorithm?: string; size?: number; encoding?: string };
  issuerRef: { name: string; kind?: string };
}

const CURVES: Record<number, { namedCurve: string; hash: string }> = {
  256: { namedCurve: 'P-256', hash: 'SHA-256' },
  384: { namedCurve: 'P-384', hash: 'SHA-384' },
};

/** cert-manager's key usage names as X.509 bits and extended usages. */
const KEY_USAGES: Record<string, number> = {
  'digital signature': x509.KeyUsageFlags.digitalSignature,
  'key encipherment': x509.KeyUsageFlags.keyEncipherment,
  'content commitment': x509.KeyUsageFlags.nonRepudiation,
  'data encipherment': x509.KeyUsageFlags.dataEncipherment,
  'key agreement': x509.KeyUsageFlags.keyAgreement,
};
const EXTENDED_USAGES: Record<string, string> = {
  'server auth': x509.ExtendedKeyUsage.serverAuth,
  'client auth': x509.ExtendedKeyUsage.clientAuth,
};

/** Go durations as cert-manager takes them (`720h`, `2160h0m0s`); its default is 90 days. */
export function durationMs(text: string | undefined): number {
  if (text === undefined) return 90 * 24 * 3600 * 1000;
  const units: Record<string, number> = { h: 3600_000, m: 60_000, s: 1000 };
  let total = 0;
  const rest = text.replace(/(\d+(?:\.\d+)?)([hms])/g, (_, value: string, unit: string) => {
    total += Number(value) * (units[unit] as number);
    return '';
  });
  if (rest !== '' || total <= 0) throw new WalkError(`cannot read the duration '${text}'`);
  return total;
}

async function signerOf(
  ca: CertificateAuthorityPem,
): Promise<{ certificate: x509.X509Certificate; key: CryptoKey; hash: string }> {
  const keyObject = createPrivateKey(ca.key);
  const curve = keyObject.asymmetricKeyDetails?.namedCurve;
  const algorithm = curve === 'prime256v1' ? CURVES[256] : curve === 'secp384r1' ? CURVES[384] : undefined;
  if (keyObject.asymmetricKeyType !== 'ec' || algorithm === undefined)
    throw new WalkError('the walk signs with ECDSA P-256 or P-384 CA keys only');
  const der = keyObject.export({ type: 'pkcs8', format: 'der' });
  const key = await webcrypto.subtle.importKey(
    'pkcs8',
    der,
    { name: 'ECDSA', namedCurve: algorithm.namedCurve },
    false,
    ['sign'],
  );
  return { certificate: new x509.X509Certificate(ca.cert), key, hash: algorithm.hash };
}

function serialNumber(): string {
  const bytes = webcrypto.getRandomValues(new Uint8Array(16));
  bytes[0] = (bytes[0] ?? 0) & 0x7f;
  return Buffer.from(bytes).toString('hex');
}

/** Signs the Certificate's leaf as cert-manager's CA issuer does; returns the Secret's data. */
export async function issue(certificate: KubeObject, ca: CertificateAuthorityPem): Promise<IssuedSecret> {
  const spec = certificate.spec as unknown as CertificateSpec;
  const name = `Certificate ${certificate.metadata.name}`;
  const keySpec = spec.privateKey ?? {};
  if ((keySpec.algorithm ?? 'RSA') !== 'ECDSA')
    throw new WalkError(`${name}: the walk issues ECDSA keys only`);
  const curve = CURVES[keySpec.size ?? 256];
  if (curve === undefined)
    throw new WalkError(`${name}: ECDSA size ${String(keySpec.size)} is not a curve cert-manager knows`);
  if (spec.isCA === true) throw new WalkError(`${name}: the walk does not issue CA certificates`);
  const usages = spec.usages ?? ['digital signature', 'key encipherment'];
  let keyUsage = 0;
  const extended: string[] = [];
  for (const usage of usages) {
    if (usage in KEY_USAGES) keyUsage |= KEY_USAGES[usage] as number;
    else if (usage in EXTENDED_USAGES) extended.push(EXTENDED_USAGES[usage] as string);
    else throw new WalkError(`${name}: the walk does not know the usage '${usage}'`);
  }
  const signer = await signerOf(ca);
  const keys = (await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: curve.namedCurve }, true, [
    'sign',
    'verify',
  ])) as webcrypto.CryptoKeyPair;
  const altNames: x509.JsonGeneralName[] = [
    ...(spec.dnsNames ?? []).map((value) => ({ type: 'dns' as const, value })),
    ...(spec.ipAddresses ?? []).map((value) => ({ type: 'ip' as const, value })),
  ];
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(keyUsage, true),
    await x509.AuthorityKeyIdentifierExtension.create(signer.certificate),
  ];
  if (extended.length > 0) extensions.push(new x509.ExtendedKeyUsageExtension(extended));
  // cert-manager marks the names critical when the subject is empty (RFC 5280 4.2.1.6).
  if (altNames.length > 0)
    extensions.push(new x509.SubjectAlternativeNameExtension(altNames, spec.commonName === undefined));
  const now = Date.now();
  const leaf = await x509.X509CertificateGenerator.create({
    serialNumber: serialNumber(),
    subject: spec.commonName === undefined ? '' : `CN=${spec.commonName}`,
    issuer: signer.certificate.subject,
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + durationMs(spec.duration)),
    publicKey: keys.publicKey,
    signingKey: signer.key,
    signingAlgorithm: { name: 'ECDSA', hash: signer.hash },
    extensions,
  });
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey);
  return {
    'tls.crt': leaf.toString('pem') + '\n',
    'tls.key': x509.PemConverter.encode(pkcs8, 'PRIVATE KEY') + '\n',
    'ca.crt': ca.cert.endsWith('\n') ? ca.cert : `${ca.cert}\n`,
  };
}

/** The CA of a ClusterIssuer of kind `ca`: its Secret in namespace cert-manager, as cert-manager reads it. */
export function issuerAuthority(
  issuer: KubeObject,
  secretData: (name: string) => Record<string, string> | undefined,
): CertificateAuthorityPem {
  const secretName = (issuer.spec?.ca as { secretName?: string } | undefined)?.secretName;
  if (secretName === undefined)
    throw new WalkError(`ClusterIssuer ${issuer.metadata.name} is not a CA issuer`);
  const data = secretData(secretName);
  if (data?.['tls.crt'] === undefined || data['tls.key'] === undefined)
    throw new WalkError(
      `ClusterIssuer ${issuer.metadata.name}: Secret cert-manager/${secretName} has no tls.crt and tls.key`,
    );
  return { cert: data['tls.crt'], key: data['tls.key'] };
}
