// Shared test fixtures: a seeded PostgreSQL, key files, a client registry, raw HTTP(S) requests, forged JWTs.
import { createHash, createHmac, createPrivateKey, randomBytes, sign } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createEcKeyPair } from '../../../test-support/pki.js';
import {
  startPostgres,
  type PostgresServer,
  type StartPostgresOptions,
} from '../../../test-support/postgres.js';
import { loadDbConfig } from '../src/config.js';
import { createSql, type Sql } from '../src/db/client.js';
import { migrate, seed, type SeedOptions } from '../src/db/migrate.js';
import { SCOPES, type Scope } from '@secure-workshop/contracts';

export const ALL_SCOPES: Scope[] = [...SCOPES];

/** Collects log lines written by the API. */
export class LogCapture extends Writable {
  readonly lines: string[] = [];
  override _write(chunk: Buffer, _encoding: BufferEncoding, done: () => void): void {
    this.lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    done();
  }
  get text(): string {
    return this.lines.join('\n');
  }
  records(): Record<string, unknown>[] {
    return this.lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  }
}

export interface Database {
  pg: PostgresServer;
  /** A superuser connection for arranging and inspecting data behind the API's back. */
  sql: Sql;
  stop(): Promise<void>;
}

export async function startDatabase(
  options: StartPostgresOptions & { seed?: SeedOptions | false; connectWith?: Record<string, string> } = {},
): Promise<Database> {
  const pg = await startPostgres(options);
  const sql = createSql(loadDbConfig({ ...pg.env, ...options.connectWith }), { max: 2 });
  try {
    await migrate(sql);
    if (options.seed !== false) await seed(sql, options.seed ?? {});
  } catch (error) {
    await sql.end();
    await pg.stop();
    throw error;
  }
  return {
    pg,
    sql,
    async stop() {
      await sql.end({ timeout: 5 });
      await pg.stop();
    },
  };
}

export interface ClientFixture {
  clientId: string;
  secret: string;
  scopes: Scope[];
}

export interface AuthFixture {
  dir: string;
  publicKey: string;
  privateKey: string;
  env: Record<string, string>;
  clients: Record<string, ClientFixture>;
  cleanup(): Promise<void>;
}

/** Key pair, client registry and the env that turns JWT auth and the token endpoint on. */
export async function createAuthFixture(): Promise<AuthFixture> {
  const dir = await mkdtemp(join(tmpdir(), 'api-auth-'));
  const { publicKey, privateKey } = await createEcKeyPair();
  const clients: Record<string, ClientFixture> = {
    admin: { clientId: 'admin', secret: randomBytes(32).toString('base64url'), scopes: ALL_SCOPES },
    reconciler: {
      clientId: 'reconciler',
      secret: randomBytes(32).toString('base64url'),
      scopes: ['read:user', 'read:transaction'],
    },
  };
  const registry = Object.values(clients).map((client) => ({
    clientId: client.clientId,
    secretSha256: createHash('sha256').update(client.secret).digest('hex'),
    scopes: client.scopes,
  }));
  await writeFile(join(dir, 'jwt.pub'), publicKey);
  await writeFile(join(dir, 'jwt.key'), privateKey, { mode: 0o600 });
  await writeFile(join(dir, 'clients.json'), JSON.stringify(registry));
  return {
    dir,
    publicKey,
    privateKey,
    clients,
    env: {
      JWT_PUBLIC_KEY_FILE: join(dir, 'jwt.pub'),
      JWT_PRIVATE_KEY_FILE: join(dir, 'jwt.key'),
      OAUTH_CLIENTS_FILE: join(dir, 'clients.json'),
      JWT_ISSUER: 'https://issuer.test',
      JWT_AUDIENCE: 'workshop-api',
    },
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}

export interface Response {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  json<T = unknown>(): T;
}

export interface RequestOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** TLS: trusted CA, client certificate and key, protocol bounds. */
  tls?: https.RequestOptions;
}

/** One request over a real socket, no connection reuse. */
export function request(url: string, options: RequestOptions = {}): Promise<Response> {
  const target = new URL(url);
  const transport = target.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = transport.request(
      target,
      {
        method: options.method ?? 'GET',
        headers: options.headers,
        agent: false,
        ...(options.tls ?? {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const body = Buffer.concat(chunks).toString('utf8');
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body, json: () => JSON.parse(body) });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

export function jsonRequest(url: string, method: string, body: unknown, token?: string): Promise<Response> {
  return request(url, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

const base64url = (value: string | Buffer): string => Buffer.from(value).toString('base64url');

export type Forgery =
  { alg: 'ES256'; privateKey: string } | { alg: 'HS256'; secret: string } | { alg: 'none' };

/** Builds a JWT by hand (RFC 9068 `typ` at+jwt unless overridden), so tests can forge what no honest library would produce. */
export function forgeJwt(
  payload: Record<string, unknown>,
  key: Forgery,
  header: Record<string, unknown> = {},
): string {
  const signingInput = `${base64url(JSON.stringify({ alg: key.alg, typ: 'at+jwt', ...header }))}.${base64url(
    JSON.stringify(payload),
  )}`;
  if (key.alg === 'none') return `${signingInput}.`;
  if (key.alg === 'HS256')
    return `${signingInput}.${createHmac('sha256', key.secret).update(signingInput).digest('base64url')}`;
  const signature = sign('sha256', Buffer.from(signingInput), {
    key: createPrivateKey(key.privateKey),
    dsaEncoding: 'ieee-p1363',
  });
  return `${signingInput}.${base64url(signature)}`;
}

export function claims(overrides: Record<string, unknown> = {}, auth?: AuthFixture): Record<string, unknown> {
  const now = Math.floor(Date.now() / 1000);
  return {
    iss: auth?.env.JWT_ISSUER ?? 'https://issuer.test',
    aud: auth?.env.JWT_AUDIENCE ?? 'workshop-api',
    sub: 'test-client',
    iat: now,
    exp: now + 300,
    jti: randomBytes(8).toString('hex'),
    scope: ALL_SCOPES.join(' '),
    ...overrides,
  };
}

export function basic(clientId: string, secret: string): string {
  return `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString('base64')}`;
}

export async function fetchToken(
  url: string,
  client: { clientId: string; secret: string },
  form: Record<string, string> = { grant_type: 'client_credentials' },
): Promise<Response> {
  return request(`${url}/oauth/token`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: basic(client.clientId, client.secret),
    },
    body: new URLSearchParams(form).toString(),
  });
}
