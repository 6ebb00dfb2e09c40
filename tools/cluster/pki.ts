// The control plane's throw-away PKI: a cluster CA, an etcd CA, serving certificates for loopback,
// one client identity per component and the service-account signing key, written 0600 into the
// 0700 state directory and nowhere else.
import 'reflect-metadata';
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import {
  type CertificateAuthority,
  createCertificateAuthority,
  createEcKeyPair,
} from '../../test-support/pki';

const keyAlgorithm = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const signingAlgorithm = { name: 'ECDSA', hash: 'SHA-256' } as const;
const DAY = 24 * 60 * 60 * 1000;

/** A certificate's subject and use: users and groups come from CN and O (Kubernetes x509 authn). */
export interface Identity {
  commonName: string;
  organization?: string;
  /** `peer`: etcd members authenticate to each other with one certificate, as server and client. */
  usage: 'server' | 'client' | 'peer';
  dnsNames?: readonly string[];
  ipAddresses?: readonly string[];
}

/** Where every file of the PKI lives, relative to the state directory. */
export const PKI_FILES = {
  ca: 'pki/ca.crt',
  etcdCa: 'pki/etcd-ca.crt',
  serviceAccountKey: 'pki/service-account.key',
  serviceAccountPub: 'pki/service-account.pub',
} as const;

export function certFile(name: string): string {
  return `pki/${name}.crt`;
}

export function keyFile(name: string): string {
  return `pki/${name}.key`;
}

/** The Subject DN, escaped as RFC 4514 asks so a name can never add an attribute. */
export function subjectName({
  commonName,
  organization,
}: Pick<Identity, 'commonName' | 'organization'>): string {
  const escape = (value: string) => value.replace(/[\\,+"<>;=]/g, (c) => `\\${c}`);
  return [
    ...(organization === undefined ? [] : [`O=${escape(organization)}`]),
    `CN=${escape(commonName)}`,
  ].join(', ');
}

async function issue(ca: CertificateAuthority, identity: Identity): Promise<{ cert: string; key: string }> {
  const keys = (await webcrypto.subtle.generateKey(keyAlgorithm, true, [
    'sign',
    'verify',
  ])) as webcrypto.CryptoKeyPair;
  const altNames: x509.JsonGeneralName[] = [
    ...(identity.dnsNames ?? []).map((value) => ({ type: 'dns' as const, value })),
    ...(identity.ipAddresses ?? []).map((value) => ({ type: 'ip' as const, value })),
  ];
  const serial = webcrypto.getRandomValues(new Uint8Array(16));
  serial[0] = (serial[0] ?? 0) & 0x7f;
  const certificate = await x509.X509CertificateGenerator.create({
    serialNumber: Buffer.from(serial).toString('hex'),
    subject: subjectName(identity),
    issuer: ca.signer.certificate.subject,
    notBefore: new Date(Date.now() - DAY),
    notAfter: new Date(Date.now() + 30 * DAY),
    publicKey: keys.publicKey,
    signingKey: ca.signer.privateKey,
    signingAlgorithm,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([
        ...(identity.usage === 'client' ? [] : [x509.ExtendedKeyUsage.serverAuth]),
        ...(identity.usage === 'server' ? [] : [x509.ExtendedKeyUsage.clientAuth]),
      ]),
      await x509.AuthorityKeyIdentifierExtension.create(ca.signer.certificate),
      ...(altNames.length > 0 ? [new x509.SubjectAlternativeNameExtension(altNames)] : []),
    ],
  });
  const key = x509.PemConverter.encode(
    await webcrypto.subtle.exportKey('pkcs8', keys.privateKey),
    'PRIVATE KEY',
  );
  return { cert: certificate.toString('pem'), key };
}

/** Writes the CAs (certificates only: their keys never leave memory), the leaves and the SA key. */
export async function writePki(
  stateDir: string,
  leaves: { cluster: Record<string, Identity>; etcd: Record<string, Identity> },
): Promise<void> {
  const write = (file: string, content: string) =>
    writeFileSync(path.join(stateDir, file), content, { mode: 0o600 });
  const [clusterCa, etcdCa] = await Promise.all([
    createCertificateAuthority('secure-workshop-cluster-ca'),
    createCertificateAuthority('secure-workshop-etcd-ca'),
  ]);
  write(PKI_FILES.ca, clusterCa.cert);
  write(PKI_FILES.etcdCa, etcdCa.cert);
  for (const [ca, identities] of [
    [clusterCa, leaves.cluster],
    [etcdCa, leaves.etcd],
  ] as const) {
    for (const [name, identity] of Object.entries(identities)) {
      const { cert, key } = await issue(ca, identity);
      write(certFile(name), cert);
      write(keyFile(name), key);
    }
  }
  const serviceAccount = await createEcKeyPair();
  write(PKI_FILES.serviceAccountKey, serviceAccount.privateKey);
  write(PKI_FILES.serviceAccountPub, serviceAccount.publicKey);
}
