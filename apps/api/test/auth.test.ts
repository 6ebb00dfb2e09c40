// Authentication and authorization from the attacker's side, over real sockets with a real PostgreSQL.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEcKeyPair } from '../../../test-support/pki.js';
import { AUDIT_FIELDS } from '../src/audit.js';
import { startApi, type StartedApi } from '../src/start.js';
import {
  LogCapture,
  basic,
  claims,
  createAuthFixture,
  fetchToken,
  forgeJwt,
  jsonRequest,
  request,
  startDatabase,
  type AuthFixture,
  type Database,
} from './helpers.js';

let db: Database;
let auth: AuthFixture;
let api: StartedApi;
const logs = new LogCapture();

beforeAll(async () => {
  [db, auth] = await Promise.all([startDatabase(), createAuthFixture()]);
  api = await startApi({ ...db.pg.env, ...auth.env, PORT: '0', LOG_LEVEL: 'info' }, { logStream: logs });
});

afterAll(async () => {
  await api?.close();
  await db?.stop();
  await auth?.cleanup();
});

const countUsers = async (): Promise<number> =>
  Number((await db.sql`select count(*)::int as n from users`)[0]?.n);
const signed = (overrides: Record<string, unknown> = {}, header: Record<string, unknown> = {}) =>
  forgeJwt(claims(overrides, auth), { alg: 'ES256', privateKey: auth.privateKey }, header);
const validToken = () => signed();

describe('bearer tokens', () => {
  it('accepts a correctly signed token with the scope', async () => {
    const res = await request(`${api.url}/users/1`, { headers: { authorization: `Bearer ${validToken()}` } });
    expect(res.status).toBe(200);
    expect(res.json<{ id: number }>().id).toBe(1);
  });

  const attacks: [string, () => Promise<string | undefined>][] = [
    ['no token at all', async () => undefined],
    [
      'an expired token',
      async () =>
        forgeJwt(claims({ iat: 1_600_000_000, exp: 1_600_000_300 }, auth), {
          alg: 'ES256',
          privateKey: auth.privateKey,
        }),
    ],
    ['alg none', async () => forgeJwt(claims({}, auth), { alg: 'none' })],
    [
      'HS256 signed with the public key',
      async () => forgeJwt(claims({}, auth), { alg: 'HS256', secret: auth.publicKey }),
    ],
    [
      'a token signed by another key',
      async () =>
        forgeJwt(claims({}, auth), { alg: 'ES256', privateKey: (await createEcKeyPair()).privateKey }),
    ],
    [
      'the wrong issuer',
      async () =>
        forgeJwt(claims({ iss: 'https://evil.test' }, auth), { alg: 'ES256', privateKey: auth.privateKey }),
    ],
    [
      'the wrong audience',
      async () =>
        forgeJwt(claims({ aud: 'another-api' }, auth), { alg: 'ES256', privateKey: auth.privateKey }),
    ],
    [
      'a token living longer than 15 minutes',
      async () => {
        const now = Math.floor(Date.now() / 1000);
        return forgeJwt(claims({ iat: now, exp: now + 24 * 3600 }, auth), {
          alg: 'ES256',
          privateKey: auth.privateKey,
        });
      },
    ],
    [
      'a token without jti',
      async () => forgeJwt(claims({ jti: undefined }, auth), { alg: 'ES256', privateKey: auth.privateKey }),
    ],
    [
      'tampered claims (scope widened after signing)',
      async () => {
        const [header, , signature] = forgeJwt(claims({ scope: 'read:user' }, auth), {
          alg: 'ES256',
          privateKey: auth.privateKey,
        }).split('.');
        const widened = Buffer.from(JSON.stringify(claims({}, auth))).toString('base64url');
        return `${header}.${widened}.${signature}`;
      },
    ],
    [
      'iat a year in the future with exp = iat + 300',
      async () => {
        const iat = Math.floor(Date.now() / 1000) + 365 * 24 * 3600;
        return signed({ iat, exp: iat + 300 });
      },
    ],
    [
      'iat beyond the clock skew (2 minutes ahead)',
      async () => {
        const iat = Math.floor(Date.now() / 1000) + 120;
        return signed({ iat, exp: iat + 300 });
      },
    ],
    [
      'exp 16 minutes from now (iat a minute ahead, exp - iat exactly 15 minutes)',
      async () => {
        const now = Math.floor(Date.now() / 1000);
        return signed({ iat: now + 60, exp: now + 15 * 60 + 60 });
      },
    ],
    ['typ JWT (not an RFC 9068 access token)', async () => signed({}, { typ: 'JWT' })],
    ['no typ header', async () => signed({}, { typ: undefined })],
    ['typ id_token+jwt', async () => signed({}, { typ: 'id_token+jwt' })],
    ['a non-numeric iat', async () => signed({ iat: String(Math.floor(Date.now() / 1000)) })],
    ['garbage', async () => 'not.a.jwt'],
    ['a truncated token', async () => validToken().slice(0, 40)],
  ];

  for (const [name, makeToken] of attacks) {
    it(`refuses ${name} with 401 and a bearer challenge`, async () => {
      const token = await makeToken();
      const headers: Record<string, string> = token === undefined ? {} : { authorization: `Bearer ${token}` };
      const res = await request(`${api.url}/users`, { headers });
      expect(res.status).toBe(401);
      expect(res.headers['www-authenticate']).toMatch(/^Bearer realm=/);
      expect(res.json()).toMatchObject({ statusCode: 401, error: 'Unauthorized' });
    });
  }

  it('accepts iat a few seconds ahead (clock skew) and typ application/at+jwt', async () => {
    const iat = Math.floor(Date.now() / 1000) + 10;
    for (const token of [signed({ iat, exp: iat + 300 }), signed({}, { typ: 'application/at+jwt' })]) {
      const res = await request(`${api.url}/users/1`, { headers: { authorization: `Bearer ${token}` } });
      expect(res.status).toBe(200);
    }
  });

  it('refuses a future-dated token on every attempt: the verified-token cache never answers for it', async () => {
    const iat = Math.floor(Date.now() / 1000) + 3600;
    const headers = { authorization: `Bearer ${signed({ iat, exp: iat + 300 })}` };
    for (let i = 0; i < 3; i += 1) {
      const res = await request(`${api.url}/users/1`, { headers });
      expect(res.status, `attempt ${i + 1}`).toBe(401);
      expect(res.headers['www-authenticate']).toContain('error="invalid_token"');
    }
  });

  it('refuses a cached token once it has expired (the verified-token cache never outlives exp)', async () => {
    const now = Math.floor(Date.now() / 1000);
    const token = forgeJwt(claims({ iat: now, exp: now + 2 }, auth), {
      alg: 'ES256',
      privateKey: auth.privateKey,
    });
    const headers = { authorization: `Bearer ${token}` };
    // The second call is answered from the verifier's cache.
    for (let i = 0; i < 2; i += 1)
      expect((await request(`${api.url}/users/1`, { headers })).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, (now + 2) * 1000 - Date.now() + 50));
    const res = await request(`${api.url}/users/1`, { headers });
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toContain('error="invalid_token"');
  });

  it('refuses other authorization schemes with 401, never 500', async () => {
    for (const authorization of [
      'Basic YWRtaW46eA==',
      'Bearer',
      'Bearer a b c',
      'Token x',
      'Bearer ' + 'A'.repeat(5000),
    ]) {
      const res = await request(`${api.url}/transactions`, { headers: { authorization } });
      expect(res.status, authorization.slice(0, 20)).toBe(401);
    }
  });

  it('answers 403 for a missing scope and changes nothing', async () => {
    const before = await countUsers();
    const readOnly = forgeJwt(claims({ scope: 'read:user read:transaction' }, auth), {
      alg: 'ES256',
      privateKey: auth.privateKey,
    });
    const create = await jsonRequest(
      `${api.url}/users`,
      'POST',
      {
        credit_card: '4111111111111111',
        currency: 'USD',
        email: 'a@b.c',
        country: 'NO',
        username: 'mallory',
      },
      readOnly,
    );
    expect(create.status).toBe(403);
    expect(create.headers['www-authenticate']).toContain('error="insufficient_scope"');
    const remove = await request(`${api.url}/users/2`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${readOnly}` },
    });
    expect(remove.status).toBe(403);
    const update = await jsonRequest(`${api.url}/users/2`, 'PUT', { username: 'mallory' }, readOnly);
    expect(update.status).toBe(403);
    expect(await countUsers()).toBe(before);
    const [row] = await db.sql`select username from users where id = 2`;
    expect(row?.username).not.toBe('mallory');
  });

  it('refuses before reading the body: an unauthenticated huge write is 401, not 413', async () => {
    const before = await countUsers();
    const res = await request(`${api.url}/users`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'x'.repeat(100_000) }),
    });
    expect(res.status).toBe(401);
    expect(await countUsers()).toBe(before);
  });

  it('writes an audit line for a refusal and for a denial', async () => {
    await request(`${api.url}/users`);
    const readOnly = forgeJwt(claims({ scope: 'read:user' }, auth), {
      alg: 'ES256',
      privateKey: auth.privateKey,
    });
    await request(`${api.url}/transactions`, { headers: { authorization: `Bearer ${readOnly}` } });
    const audits = logs.records().filter((record) => record[AUDIT_FIELDS.marker] === true);
    expect(audits).toContainEqual(
      expect.objectContaining({
        action: 'authenticate',
        outcome: 'failure',
        reason: 'missing',
        actor: 'anonymous',
      }),
    );
    expect(audits).toContainEqual(expect.objectContaining({ action: 'authorize', outcome: 'denied' }));
    for (const line of audits) {
      for (const field of Object.values(AUDIT_FIELDS)) expect(line).toHaveProperty(field);
    }
  });
});

describe('POST /oauth/token', () => {
  it('issues an ES256 access token the API accepts, with RFC 9068 claims and at most 15 minutes', async () => {
    const res = await fetchToken(api.url, auth.clients.reconciler!);
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    const body = res.json<{ access_token: string; token_type: string; expires_in: number; scope: string }>();
    expect(body).toMatchObject({ token_type: 'Bearer', scope: 'read:user read:transaction' });
    expect(body.expires_in).toBeGreaterThan(0);
    expect(body.expires_in).toBeLessThanOrEqual(900);
    const [header, payload] = body.access_token
      .split('.')
      .slice(0, 2)
      .map((part) => JSON.parse(Buffer.from(part, 'base64url').toString()));
    expect(header).toMatchObject({ alg: 'ES256', typ: 'at+jwt' });
    expect(payload).toMatchObject({
      iss: auth.env.JWT_ISSUER,
      aud: auth.env.JWT_AUDIENCE,
      sub: 'reconciler',
    });
    expect(typeof payload.jti).toBe('string');
    expect(payload.exp - payload.iat).toBeLessThanOrEqual(900);

    const read = await request(`${api.url}/transactions?limit=1`, {
      headers: { authorization: `Bearer ${body.access_token}` },
    });
    expect(read.status).toBe(200);
    const before = await countUsers();
    const write = await request(`${api.url}/users/3`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${body.access_token}` },
    });
    expect(write.status).toBe(403);
    expect(await countUsers()).toBe(before);
  });

  it('grants a requested subset of the ceiling', async () => {
    const res = await fetchToken(api.url, auth.clients.admin!, {
      grant_type: 'client_credentials',
      scope: 'read:user',
    });
    expect(res.status).toBe(200);
    expect(res.json<{ scope: string }>().scope).toBe('read:user');
  });

  it('refuses a scope beyond the client ceiling with invalid_scope', async () => {
    const res = await fetchToken(api.url, auth.clients.reconciler!, {
      grant_type: 'client_credentials',
      scope: 'read:user modify:user',
    });
    expect(res.status).toBe(400);
    expect(res.json()).toMatchObject({ error: 'invalid_scope' });
    const unknown = await fetchToken(api.url, auth.clients.admin!, {
      grant_type: 'client_credentials',
      scope: 'admin',
    });
    expect(unknown.json()).toMatchObject({ error: 'invalid_scope' });
    for (const scope of ['read:user  read:transaction', 'read:user "x"', 'x'.repeat(300)]) {
      const malformed = await fetchToken(api.url, auth.clients.admin!, {
        grant_type: 'client_credentials',
        scope,
      });
      expect(malformed.status, scope.slice(0, 30)).toBe(400);
      expect(malformed.json()).toMatchObject({ error: 'invalid_scope' });
    }
  });

  it('answers invalid_client 401 for a wrong secret, an unknown client or no credentials', async () => {
    const wrong = await fetchToken(api.url, { clientId: 'admin', secret: 'guess' });
    const unknown = await fetchToken(api.url, { clientId: 'nobody', secret: auth.clients.admin!.secret });
    const none = await request(`${api.url}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `grant_type=client_credentials&client_id=admin&client_secret=${auth.clients.admin!.secret}`,
    });
    for (const res of [wrong, unknown, none]) {
      expect(res.status).toBe(401);
      expect(res.json()).toMatchObject({ error: 'invalid_client' });
      expect(res.headers['www-authenticate']).toMatch(/^Basic /);
    }
  });

  it('answers unsupported_grant_type 400 and invalid_request 400', async () => {
    const password = await fetchToken(api.url, auth.clients.admin!, { grant_type: 'password' });
    expect(password.status).toBe(400);
    expect(password.json()).toMatchObject({ error: 'unsupported_grant_type' });
    const missing = await fetchToken(api.url, auth.clients.admin!, {});
    expect(missing.status).toBe(400);
    expect(missing.json()).toMatchObject({ error: 'invalid_request' });
    const json = await request(`${api.url}/oauth/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: basic('admin', auth.clients.admin!.secret),
      },
      body: JSON.stringify({ grant_type: 'client_credentials' }),
    });
    expect(json.status).toBe(400);
    expect(json.json()).toMatchObject({ error: 'invalid_request' });
  });

  it('stores client secrets only as sha256 and compares hashes (a hash is not a password)', async () => {
    const hash = createHash('sha256').update(auth.clients.admin!.secret).digest('hex');
    const res = await fetchToken(api.url, { clientId: 'admin', secret: hash });
    expect(res.status).toBe(401);
  });
});

describe('POST /oauth/token failure throttling', () => {
  const LIMIT = 3;
  const WINDOW_SECONDS = 2;
  let throttled: StartedApi;
  beforeAll(async () => {
    throttled = await startApi(
      {
        ...db.pg.env,
        ...auth.env,
        PORT: '0',
        LOG_LEVEL: 'silent',
        OAUTH_FAILURE_LIMIT: String(LIMIT),
        OAUTH_FAILURE_WINDOW_SECONDS: String(WINDOW_SECONDS),
      },
      { logStream: new LogCapture() },
    );
  });
  afterAll(() => throttled?.close());

  async function failuresUntilThrottled(client: { clientId: string; secret: string }): Promise<number[]> {
    const statuses: number[] = [];
    for (let i = 0; i < LIMIT + 2; i += 1) statuses.push((await fetchToken(throttled.url, client)).status);
    return statuses;
  }

  it('throttles an unknown client and a wrong secret identically, with 429, Retry-After and a JSON error', async () => {
    const unknown = await failuresUntilThrottled({ clientId: 'nobody', secret: 'guess' });
    const wrong = await failuresUntilThrottled({ clientId: 'admin', secret: 'guess' });
    expect(unknown).toEqual([401, 401, 401, 429, 429]);
    expect(wrong).toEqual(unknown);
    const res = await fetchToken(throttled.url, { clientId: 'nobody', secret: 'guess' });
    expect(res.status).toBe(429);
    expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(Number(res.headers['retry-after'])).toBeLessThanOrEqual(WINDOW_SECONDS);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.json()).toMatchObject({ error: 'temporarily_unavailable' });
  });

  const windowPasses = () => new Promise((resolve) => setTimeout(resolve, WINDOW_SECONDS * 1000 + 100));

  it('refuses the right secret while the client is throttled and accepts it after the window', async () => {
    await windowPasses();
    const reconciler = auth.clients.reconciler!;
    await failuresUntilThrottled({ clientId: reconciler.clientId, secret: 'guess' });
    const during = await fetchToken(throttled.url, reconciler);
    expect(during.status).toBe(429);
    expect(during.body).not.toContain('access_token');
    // Throttling is per client: another one still gets its token.
    expect((await fetchToken(throttled.url, auth.clients.admin!)).status).toBe(200);
    await windowPasses();
    const after = await fetchToken(throttled.url, reconciler);
    expect(after.status).toBe(200);
    expect(after.json()).toHaveProperty('access_token');
  });
});

describe('logs', () => {
  it('never contain an Authorization value, a client secret or an access token', async () => {
    const token = validToken();
    await request(`${api.url}/users/1`, { headers: { authorization: `Bearer ${token}` } });
    const issued = (await fetchToken(api.url, auth.clients.admin!)).json<{ access_token: string }>()
      .access_token;
    await fetchToken(api.url, { clientId: 'admin', secret: `${auth.clients.admin!.secret}x` });
    await request(`${api.url}/users?access_token=${issued}`);
    const text = logs.text;
    expect(logs.lines.length).toBeGreaterThan(10);
    expect(text).toContain('[REDACTED]');
    for (const secret of [
      token,
      issued,
      auth.clients.admin!.secret,
      auth.clients.reconciler!.secret,
      Buffer.from(`admin:${auth.clients.admin!.secret}`).toString('base64'),
      db.pg.password,
    ]) {
      expect(text).not.toContain(secret);
    }
  });
});
