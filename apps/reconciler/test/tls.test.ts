// TLS pinning, client certificates and the client-credentials exchange against a local HTTPS stand-in.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCertificateAuthority, issueCertificate, writeTlsCertDir } from '../../../test-support/pki.js';
import { paginatedHandler, runReconciler, sendJson } from './helpers.js';

const CLIENT_ID = 'recon ciler:x';
const SECRET = 'pa ss:w+rd/0123456789-abcdefghijklmnopqrstuvwxyz';
const TOKEN = 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJyZWNvbmNpbGVyIn0.c2lnbmF0dXJlLW5vdC1jaGVja2Vk';
const data = {
  users: [{ id: 1, currency: 'USD', is_active: true }],
  transactions: [
    { id: 1, amount: '1.25', currency: 'USD', user_id: 1 },
    { id: 2, amount: '2.50', currency: 'USD', user_id: 1 },
  ],
};

let dir: string;
let server: Server;
let url: string;
const seen: { path: string; authorization?: string; body: string; clientCn?: string }[] = [];
const files = { ca: '', otherCa: '', clientDir: '', secret: '', wrongSecret: '' };

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'reconciler-tls-'));
  const ca = await createCertificateAuthority('workshop ca');
  const otherCa = await createCertificateAuthority('other ca');
  const serverCert = await issueCertificate(ca, {
    commonName: 'api',
    ipAddresses: ['127.0.0.1'],
    usage: 'server',
  });
  files.clientDir = await writeTlsCertDir(
    await issueCertificate(ca, { commonName: 'reconciler', usage: 'client' }),
  );
  files.ca = join(dir, 'ca.crt');
  files.otherCa = join(dir, 'other.crt');
  files.secret = join(dir, 'secret');
  files.wrongSecret = join(dir, 'wrong');
  await writeFile(files.ca, ca.cert);
  await writeFile(files.otherCa, otherCa.cert);
  await writeFile(files.secret, `${SECRET}\n`);
  await writeFile(files.wrongSecret, 'not-the-secret-0123456789abcdefghijklmnop');

  const pages = paginatedHandler(data, 1);
  server = createServer(
    { cert: serverCert.cert, key: serverCert.key, ca: ca.cert, requestCert: true, rejectUnauthorized: true },
    (req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        const clientCn = String((req.socket as TLSSocket).getPeerCertificate().subject?.CN);
        seen.push({ path: req.url ?? '', authorization: req.headers.authorization, body, clientCn });
        if (req.url === '/oauth/token') {
          const [scheme, encoded = ''] = (req.headers.authorization ?? '').split(' ');
          const [id = '', secret = ''] = Buffer.from(encoded, 'base64').toString().split(':');
          const ok =
            scheme === 'Basic' &&
            decodeURIComponent(id.replace(/\+/g, ' ')) === CLIENT_ID &&
            decodeURIComponent(secret.replace(/\+/g, ' ')) === SECRET;
          if (!ok) return sendJson(res, 401, { error: 'invalid_client' });
          return sendJson(res, 200, {
            access_token: TOKEN,
            token_type: 'Bearer',
            expires_in: 900,
            scope: 'x',
          });
        }
        if (req.headers.authorization !== `Bearer ${TOKEN}`)
          return sendJson(res, 401, { error: 'unauthorized' });
        pages(req, res, seen.length - 1);
      });
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await rm(dir, { recursive: true, force: true });
});

const env = (overrides: Record<string, string> = {}) => ({
  API_URL: url,
  TLS_CA_FILE: files.ca,
  TLS_CERT_DIR: files.clientDir,
  OAUTH_CLIENT_ID: CLIENT_ID,
  OAUTH_CLIENT_SECRET_FILE: files.secret,
  RECONCILER_MAX_ATTEMPTS: '2',
  RECONCILER_RETRY_BASE_MS: '10',
  ...overrides,
});

describe('reconciler over mutual TLS with client credentials', () => {
  it('gets one token with form-encoded Basic credentials and presents its client certificate', async () => {
    seen.length = 0;
    const { code, report, stdout, stderr } = await runReconciler(env());
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(report?.totalsByCurrency).toEqual({ USD: { count: 2, total: '3.75' } });
    expect(seen[0]?.path).toBe('/oauth/token');
    expect(new URLSearchParams(seen[0]?.body)).toEqual(
      new URLSearchParams({ grant_type: 'client_credentials', scope: 'read:user read:transaction' }),
    );
    expect(seen.filter((r) => r.path === '/oauth/token')).toHaveLength(1);
    expect(seen.slice(1).every((r) => r.authorization === `Bearer ${TOKEN}`)).toBe(true);
    expect(seen.every((r) => r.clientCn === 'reconciler')).toBe(true);
    expect(stdout).not.toContain(TOKEN);
    expect(stdout).not.toContain(SECRET);
  });

  it('refuses a server whose certificate is from another CA before sending anything', async () => {
    seen.length = 0;
    const { code, failure, stdout, stderr } = await runReconciler(env({ TLS_CA_FILE: files.otherCa }));
    expect(code).toBe(1);
    expect(failure?.kind).toBe('tls');
    expect(failure?.error).toMatch(
      /^POST https:\/\/127.0.0.1:\d+\/oauth\/token: TLS verification of the server failed/,
    );
    expect(seen).toHaveLength(0);
    expect(stdout + stderr).not.toContain(SECRET);
  });

  it('reports a refused secret clearly, once, without printing it', async () => {
    seen.length = 0;
    const { code, failure, stdout, stderr } = await runReconciler(
      env({ OAUTH_CLIENT_SECRET_FILE: files.wrongSecret }),
    );
    expect(code).toBe(1);
    expect(failure?.error).toMatch(
      /token endpoint https:\/\/127.0.0.1:\d+\/oauth\/token answered 401 invalid_client/,
    );
    expect(seen).toHaveLength(1);
    expect(stdout + stderr).not.toContain('not-the-secret');
  });
});
