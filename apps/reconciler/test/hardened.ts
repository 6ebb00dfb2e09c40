// Files for the hardened shape: a workshop CA, the API's TLS_CERT_DIR, the reconciler's client
// certificate, JWT signing keys, a client secret and a client registry.
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createCertificateAuthority,
  createEcKeyPair,
  issueCertificate,
  writeTlsCertDir,
  type CertificateAuthority,
} from '../../../test-support/pki.js';

export const CLIENT_ID = 'reconciler';
export const RECONCILER_SCOPES = ['read:user', 'read:transaction'];

export interface HardenedSetup {
  dir: string;
  ca: CertificateAuthority;
  caFile: string;
  clientDir: string;
  secret: string;
  secretFile: string;
  /** Writes an OAUTH_CLIENTS_FILE holding the reconciler's secret hash under `clientId`. */
  writeClients(name: string, scopes?: string[], clientId?: string): Promise<string>;
  /** Environment for startApi in the hardened shape (HTTPS, client certificates required, JWT). */
  apiEnv(clientsFile: string): Record<string, string>;
  /** Environment for the reconciler against `apiUrl` with the pinned CA, client certificate and client credentials. */
  reconcilerEnv(apiUrl: string): Record<string, string>;
  remove(): Promise<void>;
}

export async function createHardenedSetup(): Promise<HardenedSetup> {
  const dir = await mkdtemp(join(tmpdir(), 'reconciler-hardened-'));
  const ca = await createCertificateAuthority('workshop ca');
  const server = await issueCertificate(ca, {
    commonName: 'api',
    dnsNames: ['localhost'],
    ipAddresses: ['127.0.0.1'],
    usage: 'server',
  });
  const serverDir = await writeTlsCertDir(server);
  const clientDir = await writeTlsCertDir(
    await issueCertificate(ca, { commonName: CLIENT_ID, usage: 'client' }),
  );
  const caFile = join(dir, 'ca.crt');
  const secret = randomBytes(32).toString('base64url');
  const secretFile = join(dir, 'client-secret');
  const keys = await createEcKeyPair();
  await writeFile(caFile, ca.cert);
  await writeFile(secretFile, secret, { mode: 0o600 });
  await writeFile(join(dir, 'jwt.pub'), keys.publicKey);
  await writeFile(join(dir, 'jwt.key'), keys.privateKey, { mode: 0o600 });
  const secretSha256 = createHash('sha256').update(secret).digest('hex');

  return {
    dir,
    ca,
    caFile,
    clientDir,
    secret,
    secretFile,
    async writeClients(name, scopes = RECONCILER_SCOPES, clientId = CLIENT_ID) {
      const file = join(dir, name);
      await writeFile(file, JSON.stringify([{ clientId, secretSha256, scopes }]));
      return file;
    },
    apiEnv: (clientsFile) => ({
      JWT_PUBLIC_KEY_FILE: join(dir, 'jwt.pub'),
      JWT_PRIVATE_KEY_FILE: join(dir, 'jwt.key'),
      OAUTH_CLIENTS_FILE: clientsFile,
      TLS_CERT_DIR: serverDir,
      TLS_CLIENT_AUTH: 'require',
    }),
    reconcilerEnv: (apiUrl) => ({
      API_URL: apiUrl,
      TLS_CA_FILE: caFile,
      TLS_CERT_DIR: clientDir,
      OAUTH_CLIENT_ID: CLIENT_ID,
      OAUTH_CLIENT_SECRET_FILE: secretFile,
    }),
    async remove() {
      await Promise.all(
        [dir, serverDir, clientDir].map((path) => rm(path, { recursive: true, force: true })),
      );
    },
  };
}
