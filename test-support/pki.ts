// A throw-away private PKI for tests: ECDSA P-256 CA, server and client certificates as PEM.
import 'reflect-metadata';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto);

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;

const keyAlgorithm = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const signingAlgorithm = { name: 'ECDSA', hash: 'SHA-256' } as const;
const oneDay = 24 * 60 * 60 * 1000;

export interface CertificateAuthority {
  commonName: string;
  /** CA certificate, PEM. */
  cert: string;
  /** CA private key, PKCS#8 PEM. */
  key: string;
  readonly signer: { certificate: x509.X509Certificate; privateKey: CryptoKey };
}

export interface IssuedCertificate {
  /** Leaf certificate, PEM. */
  cert: string;
  /** Leaf private key, PKCS#8 PEM. */
  key: string;
  /** The issuing CA's certificate, PEM. */
  ca: string;
}

export type CertificateUsage = 'server' | 'client' | 'both';

export interface IssueOptions {
  commonName: string;
  dnsNames?: string[];
  ipAddresses?: string[];
  usage: CertificateUsage;
  /** Validity window; defaults to yesterday .. in 30 days. */
  notBefore?: Date;
  notAfter?: Date;
}

async function generateKeys(): Promise<CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(keyAlgorithm, true, ['sign', 'verify'])) as CryptoKeyPair;
}

async function privateKeyPem(key: CryptoKey): Promise<string> {
  const der = await webcrypto.subtle.exportKey('pkcs8', key);
  return x509.PemConverter.encode(der, 'PRIVATE KEY');
}

function randomSerial(): string {
  // Positive 16-byte serial: clear the top bit so DER does not read it as negative.
  const bytes = webcrypto.getRandomValues(new Uint8Array(16));
  bytes[0] = (bytes[0] ?? 0) & 0x7f;
  return Buffer.from(bytes).toString('hex');
}

export async function createCertificateAuthority(commonName: string): Promise<CertificateAuthority> {
  const keys = await generateKeys();
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: `CN=${commonName}`,
    notBefore: new Date(Date.now() - oneDay),
    notAfter: new Date(Date.now() + 365 * oneDay),
    keys,
    signingAlgorithm,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return {
    commonName,
    cert: certificate.toString('pem'),
    key: await privateKeyPem(keys.privateKey),
    signer: { certificate, privateKey: keys.privateKey },
  };
}

function extendedUsages(usage: CertificateUsage): string[] {
  if (usage === 'server') return [x509.ExtendedKeyUsage.serverAuth];
  if (usage === 'client') return [x509.ExtendedKeyUsage.clientAuth];
  return [x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth];
}

export async function issueCertificate(
  ca: CertificateAuthority,
  options: IssueOptions,
): Promise<IssuedCertificate> {
  const keys = await generateKeys();
  const altNames: x509.JsonGeneralName[] = [
    ...(options.dnsNames ?? []).map((value) => ({ type: 'dns' as const, value })),
    ...(options.ipAddresses ?? []).map((value) => ({ type: 'ip' as const, value })),
  ];
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
    new x509.ExtendedKeyUsageExtension(extendedUsages(options.usage)),
    await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    await x509.AuthorityKeyIdentifierExtension.create(ca.signer.certificate),
  ];
  if (altNames.length > 0) extensions.push(new x509.SubjectAlternativeNameExtension(altNames));
  const certificate = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: `CN=${options.commonName}`,
    issuer: ca.signer.certificate.subject,
    notBefore: options.notBefore ?? new Date(Date.now() - oneDay),
    notAfter: options.notAfter ?? new Date(Date.now() + 30 * oneDay),
    publicKey: keys.publicKey,
    signingKey: ca.signer.privateKey,
    signingAlgorithm,
    extensions,
  });
  return { cert: certificate.toString('pem'), key: await privateKeyPem(keys.privateKey), ca: ca.cert };
}

/** Writes a TLS_CERT_DIR (tls.crt, tls.key, ca.crt) into `dir`, or a new temp dir; returns the path. */
export async function writeTlsCertDir(certificate: IssuedCertificate, dir?: string): Promise<string> {
  const target = dir ?? (await mkdtemp(join(tmpdir(), 'tls-cert-dir-')));
  await writeFile(join(target, 'tls.crt'), certificate.cert);
  await writeFile(join(target, 'tls.key'), certificate.key, { mode: 0o600 });
  await writeFile(join(target, 'ca.crt'), certificate.ca);
  return target;
}

/** An ECDSA P-256 key pair as PEM (SPKI public, PKCS#8 private), e.g. for JWT signing in tests. */
export async function createEcKeyPair(): Promise<{ publicKey: string; privateKey: string }> {
  const keys = await generateKeys();
  const spki = await webcrypto.subtle.exportKey('spki', keys.publicKey);
  return {
    publicKey: x509.PemConverter.encode(spki, 'PUBLIC KEY'),
    privateKey: await privateKeyPem(keys.privateKey),
  };
}
