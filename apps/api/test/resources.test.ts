// /users and /transactions from a hostile client: validation, mass assignment, injection, pagination, conflicts.
import { Ajv } from 'ajv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../../test-support/postgres.js';
import { BODY_LIMIT_BYTES, startApi, type StartedApi } from '../src/start.js';
import { AUDIT_FIELDS } from '../src/audit.js';
import {
  LogCapture,
  claims,
  createAuthFixture,
  forgeJwt,
  fetchToken,
  jsonRequest,
  request,
  startDatabase,
  type AuthFixture,
  type Database,
  type Response,
} from './helpers.js';

let db: Database;
let auth: AuthFixture;
let api: StartedApi;
let token: string;
const logs = new LogCapture();

beforeAll(async () => {
  [db, auth] = await Promise.all([startDatabase(), createAuthFixture()]);
  api = await startApi({ ...db.pg.env, ...auth.env, PORT: '0', LOG_LEVEL: 'warn' }, { logStream: logs });
  token = (await fetchToken(api.url, auth.clients.admin!)).json<{ access_token: string }>().access_token;
});

afterAll(async () => {
  await api?.close();
  await db?.stop();
  await auth?.cleanup();
});

const get = (path: string): Promise<Response> =>
  request(`${api.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
const send = (method: string, path: string, body: unknown): Promise<Response> =>
  jsonRequest(`${api.url}${path}`, method, body, token);
const count = async (table: 'users' | 'transactions'): Promise<number> =>
  Number((await db.sql`select count(*)::int as n from ${db.sql(table)}`)[0]?.n);

const newUser = {
  credit_card: '4111111111111111',
  currency: 'GBP',
  email: 'new.user@example.org',
  country: 'GB',
  username: 'new_user',
  password_hash: '0123456789abcdef0123456789abcdef',
};

function nextPath(res: Response): string | undefined {
  const link = res.headers.link;
  if (link === undefined) return undefined;
  const match = /^<([^>]+)>; rel="next"$/.exec(String(link));
  if (!match?.[1]) throw new Error(`malformed Link header: ${link}`);
  return match[1];
}

async function walk(path: string): Promise<{ ids: number[]; pages: number }> {
  const ids: number[] = [];
  let pages = 0;
  let next: string | undefined = path;
  while (next !== undefined) {
    const res = await get(next);
    expect(res.status).toBe(200);
    ids.push(...res.json<{ id: number }[]>().map((row) => row.id));
    pages += 1;
    next = nextPath(res);
  }
  return { ids, pages };
}

describe('routing', () => {
  it('answers GET / and unknown paths with a JSON 404', async () => {
    for (const path of ['/', '/admin', '/users/1/secrets']) {
      const res = await request(`${api.url}${path}`);
      expect(res.status).toBe(404);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(res.json()).toMatchObject({ statusCode: 404, error: 'Not Found' });
    }
  });

  it('answers another method on a known path with 405 and the allowed methods, an unknown path with 404', async () => {
    const cases: [string, string, string][] = [
      ['TRACE', '/users', 'GET, HEAD, POST'],
      ['PATCH', '/users/1', 'DELETE, GET, HEAD, PUT'],
      ['OPTIONS', '/transactions/7', 'DELETE, GET, HEAD, PUT'],
      ['DELETE', '/transactions', 'GET, HEAD, POST'],
      ['TRACE', '/oauth/token', 'POST'],
      ['POST', '/healthz', 'GET, HEAD'],
    ];
    for (const [method, path, allow] of cases) {
      const res = await request(`${api.url}${path}`, { method });
      expect(res.status, `${method} ${path}`).toBe(405);
      expect(res.headers.allow, `${method} ${path}`).toBe(allow);
      expect(res.json()).toMatchObject({ statusCode: 405, error: 'Method Not Allowed' });
    }
    for (const [method, path] of [
      ['TRACE', '/'],
      ['TRACE', '/nope'],
      ['PATCH', '/users/1/secrets'],
    ] as const) {
      const res = await request(`${api.url}${path}`, { method });
      expect(res.status, `${method} ${path}`).toBe(404);
      expect(res.headers.allow).toBeUndefined();
    }
  });

  it('answers the probes without a token on the main and the metrics port', async () => {
    for (const base of [api.url, api.metricsUrl]) {
      expect((await request(`${base}/healthz`)).json()).toEqual({ status: 'ok' });
      const ready = await request(`${base}/readyz`);
      expect(ready.status).toBe(200);
    }
  });

  it('serves Prometheus metrics on the metrics port only', async () => {
    await request(`${api.url}/users`);
    await get('/users');
    const metrics = await request(`${api.metricsUrl}/metrics`);
    expect(metrics.status).toBe(200);
    expect(metrics.body).toMatch(
      /^http_requests_total\{method="GET",route="\/users",status_code="200"\} \d+$/m,
    );
    expect(metrics.body).toMatch(/^api_auth_failures_total\{reason="missing"\} [1-9]\d*$/m);
    expect(metrics.body).toContain('api_oauth_token_requests_total{outcome="issued"}');
    expect((await request(`${api.url}/metrics`)).status).toBe(404);
  });

  it('sends security headers', async () => {
    const res = await get('/users/1');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['strict-transport-security']).toContain('max-age=');
    expect(res.headers['content-security-policy']).toContain("default-src 'none'");
    expect(res.headers['x-powered-by']).toBeUndefined();
  });
});

describe('lists', () => {
  it('walks every user exactly once, in id order, through the Link header', async () => {
    const { ids, pages } = await walk('/users?limit=10');
    const expected = (await db.sql`select id from users order by id`).map((row) => row.id as number);
    expect(ids).toEqual(expected);
    expect(new Set(ids).size).toBe(ids.length);
    expect(pages).toBe(Math.ceil(expected.length / 10));
  });

  it('walks every transaction exactly once with the maximum page size', async () => {
    const { ids, pages } = await walk('/transactions?limit=1000');
    expect(ids.length).toBe(await count('transactions'));
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(pages).toBe(Math.ceil(ids.length / 1000));
  });

  it('filters transactions by user and keeps the filter and fields in the next link', async () => {
    const [owner] =
      await db.sql`select user_id, count(*)::int as n from transactions group by user_id order by n desc limit 1`;
    const first = await get(`/transactions?user_id=${owner?.user_id}&limit=5&fields=amount`);
    expect(first.json<unknown[]>()).toHaveLength(5);
    expect(Object.keys(first.json<Record<string, unknown>[]>()[0] ?? {}).sort()).toEqual(['amount', 'id']);
    expect(nextPath(first)).toMatch(
      new RegExp(`user_id=${owner?.user_id}.*fields=amount|fields=amount.*user_id=`),
    );
    const { ids } = await walk(`/transactions?user_id=${owner?.user_id}&limit=7`);
    expect(ids.length).toBe(owner?.n);
  });

  it('uses 100 as the default page size and leaves out Link on the last page', async () => {
    const res = await get('/transactions');
    expect(res.json<unknown[]>()).toHaveLength(100);
    expect(nextPath(res)).toBe('/transactions?limit=100&after=100');
    const last = await get('/users?limit=1000');
    expect(last.headers.link).toBeUndefined();
  });

  it('selects only allow-listed fields, always with id', async () => {
    const res = await get('/users?limit=3&fields=email,country');
    for (const row of res.json<Record<string, unknown>[]>())
      expect(Object.keys(row).sort()).toEqual(['country', 'email', 'id']);
    const one = await get('/users/1?fields=username');
    expect(Object.keys(one.json<object>()).sort()).toEqual(['id', 'username']);
  });

  it.each([
    'limit=0',
    'limit=-1',
    'limit=1001',
    'limit=abc',
    'limit=1.5',
    'limit=1e3x',
    'after=-1',
    'after=abc',
    'after=99999999999',
    'fields=nope',
    'fields=id;drop table users',
    'fields=',
    'fields=,',
    'fields=email,password_hash,secret',
    'fields=email, country',
    'fields=email,',
    'x=1',
    'access_token=abc',
    'fields=' + 'a'.repeat(600),
  ])('refuses ?%s with a JSON 400', async (query) => {
    const res = await get(`/users?${query}`);
    expect(res.status).toBe(400);
    expect(res.json()).toMatchObject({ statusCode: 400, error: 'Bad Request' });
  });
});

describe('single records', () => {
  it.each([
    '/users/abc',
    '/users/-1',
    '/users/1.5',
    '/users/99999999999',
    '/transactions/12abc',
    '/transactions/1;drop',
    '/users/%E0%A4%A',
    `/users/${'9'.repeat(200)}`,
  ])('refuses the id in %s with a JSON 400', async (path) => {
    const res = await get(path);
    expect(res.status).toBe(400);
    expect(res.json()).toMatchObject({ statusCode: 400, error: 'Bad Request' });
  });

  it('answers a missing record with a JSON 404', async () => {
    const res = await get('/users/999999');
    expect(res.status).toBe(404);
    expect(res.json()).toMatchObject({ statusCode: 404, message: 'user 999999 not found' });
    expect((await send('PUT', '/transactions/999999', { description: 'x' })).status).toBe(404);
  });
});

describe('writes', () => {
  it('creates a user from the allow-listed fields', async () => {
    const before = await count('users');
    const res = await send('POST', '/users', newUser);
    expect(res.status).toBe(201);
    const created = res.json<Record<string, unknown>>();
    const { password_hash: _hash, credit_card: _card, ...visible } = newUser;
    expect(created).toMatchObject({
      ...visible,
      credit_card: '************1111',
      is_active: true,
      num_logins: 0,
    });
    expect(res.headers.location).toBe(`/users/${created.id}`);
    expect(await count('users')).toBe(before + 1);
  });

  it.each([
    ['id', 1],
    ['created_at', '1999-01-01T00:00:00.000Z'],
    ['is_admin', true],
    ['role', 'superuser'],
  ])(
    'refuses the unknown or read-only field %s with a 400 naming it (no mass assignment)',
    async (field, value) => {
      const before = await count('users');
      const res = await send('POST', '/users', { ...newUser, [field]: value });
      expect(res.status).toBe(400);
      expect(res.json<{ message: string }>().message).toBe(
        `body must NOT have additional property "${field}"`,
      );
      expect(await count('users')).toBe(before);
      const [original] = await db.sql`select username from users where id = 1`;
      expect(original?.username).not.toBe(newUser.username);
    },
  );

  it('updates only the allow-listed fields and refuses any other', async () => {
    const res = await send('PUT', '/users/2', { num_logins: 5 });
    expect(res.status).toBe(200);
    expect(res.json()).toMatchObject({ id: 2, num_logins: 5 });
    for (const body of [
      { id: 9999, num_logins: 6 },
      { num_logins: 6, created_at: '1999-01-01T00:00:00Z' },
      {},
    ]) {
      expect((await send('PUT', '/users/2', body)).status, JSON.stringify(body)).toBe(400);
    }
    const [row] =
      await db.sql`select count(*)::int as n, max(num_logins) as logins from users where id in (2, 9999)`;
    expect(row).toEqual({ n: 1, logins: 5 });
  });

  const injections = [
    "'; DROP TABLE users; --",
    "1' OR '1'='1",
    '" OR ""="',
    '$1; select pg_sleep(10)',
    '<script>alert(1)</script>',
    '{{7*7}} ${7*7}',
    '\\x00\\u0000 \\ backslash',
    'ünïcödé ✓ 🔥',
  ];

  it('stores injection strings in every free-text field literally and returns them unchanged', async () => {
    for (const payload of injections) {
      const user = await send('POST', '/users', {
        ...newUser,
        username: payload,
        password_hash: payload,
        email: `${payload.replace(/[\s@]/g, '_')}@example.org`,
      });
      expect(user.status, payload).toBe(201);
      const created = user.json<{ id: number; username: string; email: string }>();
      const fetched = (await get(`/users/${created.id}`)).json<typeof created>();
      expect(fetched.username).toBe(payload);
      const [stored] = await db.sql`select password_hash from users where id = ${created.id}`;
      expect(stored?.password_hash).toBe(payload);
      expect(fetched.email).toBe(`${payload.replace(/[\s@]/g, '_')}@example.org`);

      const tx = await send('POST', '/transactions', {
        amount: '1.00',
        currency: 'USD',
        description: payload,
        user_id: created.id,
      });
      expect(tx.status, payload).toBe(201);
      const fetchedTx = (await get(`/transactions/${tx.json<{ id: number }>().id}`)).json<{
        description: string;
      }>();
      expect(fetchedTx.description).toBe(payload);
    }
    const [tables] =
      await db.sql`select count(*)::int as n from pg_tables where tablename in ('users', 'transactions')`;
    expect(tables?.n).toBe(2);
  });

  it('refuses injection strings in constrained fields with 400', async () => {
    const before = await count('users');
    for (const payload of injections) {
      for (const field of ['country', 'currency', 'credit_card', 'email'] as const) {
        const res = await send('POST', '/users', { ...newUser, [field]: payload });
        expect(res.status, `${field}=${payload}`).toBe(400);
      }
      expect((await get(`/users/${encodeURIComponent(payload)}`)).status).toBe(400);
    }
    expect(await count('users')).toBe(before);
  });

  it('refuses a NUL character, which PostgreSQL cannot store, with 400', async () => {
    expect((await send('POST', '/users', { ...newUser, username: 'a\u0000b' })).status).toBe(400);
  });

  it.each([
    ['malformed JSON', '{"username": "x",', 400],
    ['a JSON array', '[1,2,3]', 400],
    ['a JSON string', '"hello"', 400],
    ['prototype pollution', '{"__proto__": {"admin": true}, "username": "x"}', 400],
    ['constructor pollution', '{"constructor": {"prototype": {"admin": true}}}', 400],
    ['a type confusion (number as string)', JSON.stringify({ ...newUser, num_logins: '5' }), 400],
    ['a type confusion (boolean as string)', JSON.stringify({ ...newUser, is_active: 'true' }), 400],
    ['a missing required field', JSON.stringify({ ...newUser, username: undefined }), 400],
    ['a too long field', JSON.stringify({ ...newUser, username: 'u'.repeat(65) }), 400],
  ])('refuses %s with a JSON 4xx and stores nothing', async (_name, body, status) => {
    const before = await count('users');
    const res = await request(`${api.url}/users`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body,
    });
    expect(res.status).toBe(status);
    expect(res.json()).toMatchObject({ statusCode: status });
    expect(await count('users')).toBe(before);
  });

  it('refuses an oversized body with 413 and a non-JSON body with 415', async () => {
    const big = JSON.stringify({ ...newUser, username: 'x'.repeat(BODY_LIMIT_BYTES) });
    const res = await request(`${api.url}/users`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: big,
    });
    expect(res.status).toBe(413);
    expect(res.json()).toMatchObject({ statusCode: 413 });
    const xml = await request(`${api.url}/users`, {
      method: 'POST',
      headers: { 'content-type': 'application/xml', authorization: `Bearer ${token}` },
      body: '<user/>',
    });
    expect(xml.status).toBe(415);
  });

  it('stores every timestamp the schema accepts as PostgreSQL reads it, or refuses it with 400 (POST and PUT)', async () => {
    const [existing] = await db.sql<{ id: number }[]>`select id from transactions order by id limit 1`;
    // RFC 3339 text goes to PostgreSQL as text: a leap second is the next second there, as in POSIX time.
    const cases: [string, string | 400][] = [
      ['2016-12-31T23:59:60Z', '2017-01-01T00:00:00.000Z'],
      ['2016-12-31T18:59:60-05:00', '2017-01-01T00:00:00.000Z'],
      ['2024-02-29T12:00:00.123456789Z', '2024-02-29T12:00:00.123Z'],
      ['2024-01-01t00:00:00z', '2024-01-01T00:00:00.000Z'],
      ['0001-01-01T00:00:00Z', '0001-01-01T00:00:00.000Z'],
      ['9999-12-31T23:59:59Z', '9999-12-31T23:59:59.000Z'],
      ['2024-01-01T00:00:00+15:59', '2023-12-31T08:01:00.000Z'],
      ['2024-01-01T00:00:00+16:00', 400],
      ['2016-12-31T23:59:60.250Z', 400],
      ['2016-12-31T22:59:60Z', 400],
      ['0000-01-01T00:00:00Z', 400],
    ];
    for (const [timestamp, expected] of cases) {
      const created = await send('POST', '/transactions', {
        amount: '1.00',
        currency: 'USD',
        description: 'clock edge',
        user_id: 1,
        timestamp,
      });
      const updated = await send('PUT', `/transactions/${existing?.id}`, { timestamp });
      if (expected === 400) {
        expect([created.status, updated.status], timestamp).toEqual([400, 400]);
        expect(created.json(), timestamp).toMatchObject({ statusCode: 400, error: 'Bad Request' });
      } else {
        expect([created.status, updated.status], timestamp).toEqual([201, 200]);
        expect(created.json<{ timestamp: string }>().timestamp, timestamp).toBe(expected);
        expect(updated.json<{ timestamp: string }>().timestamp, timestamp).toBe(expected);
      }
    }
  });

  it('keeps money exact: decimal strings with up to 12 digits and 2 decimals, nothing else', async () => {
    const ok = await send('POST', '/transactions', {
      amount: '12.5',
      currency: 'EUR',
      description: 'x',
      user_id: 1,
    });
    expect(ok.json()).toMatchObject({ amount: '12.50' });
    const big = await send('POST', '/transactions', {
      amount: '999999999999.99',
      currency: 'EUR',
      description: 'x',
      user_id: 1,
    });
    expect(big.json()).toMatchObject({ amount: '999999999999.99' });
    // A JSON number is refused: 0.1 + 0.2 is not 0.30, and money must not pass through a float.
    for (const amount of [
      '1.234',
      1.234,
      12.5,
      12,
      '1e3',
      1e21,
      'abc',
      '',
      '1,00',
      '0x10',
      '1000000000000.00',
    ]) {
      const res = await send('POST', '/transactions', {
        amount,
        currency: 'EUR',
        description: 'x',
        user_id: 1,
      });
      expect(res.status, String(amount)).toBe(400);
    }
  });

  it('answers 409 for a transaction of an unknown user', async () => {
    const before = await count('transactions');
    const res = await send('POST', '/transactions', {
      amount: '1.00',
      currency: 'USD',
      description: 'x',
      user_id: 999999,
    });
    expect(res.status).toBe(409);
    expect(await count('transactions')).toBe(before);
  });

  it('answers 409 when deleting a user who has transactions, 404 for nothing, 204 otherwise', async () => {
    const [owner] = await db.sql`select user_id from transactions limit 1`;
    const conflict = await request(`${api.url}/users/${owner?.user_id}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(conflict.status).toBe(409);
    expect(conflict.json()).toMatchObject({ statusCode: 409, error: 'Conflict' });
    expect((await get(`/users/${owner?.user_id}`)).status).toBe(200);

    const missing = await request(`${api.url}/users/999999`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(missing.status).toBe(404);

    const created = (await send('POST', '/users', newUser)).json<{ id: number }>();
    const removed = await request(`${api.url}/users/${created.id}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(removed.status).toBe(204);
    expect((await get(`/users/${created.id}`)).status).toBe(404);
  });
});

describe('audit trail', () => {
  it('writes one audit line per write, even at LOG_LEVEL=warn, with the fields from audit.ts', async () => {
    const created = (await send('POST', '/users', newUser)).json<{ id: number }>();
    await send('PUT', `/users/${created.id}`, { num_logins: 1 });
    await request(`${api.url}/users/${created.id}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${token}` },
    });
    const [owner] = await db.sql`select user_id from transactions limit 1`;
    await request(`${api.url}/users/${owner?.user_id}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${token}` },
    });
    const audits = logs.records().filter((line) => line[AUDIT_FIELDS.marker] === true);
    const about = (target: string) => audits.filter((line) => line[AUDIT_FIELDS.target] === target);
    expect(about(`user:${created.id}`).map((line) => [line.action, line.outcome])).toEqual([
      ['create', 'success'],
      ['update', 'success'],
      ['delete', 'success'],
    ]);
    expect(about(`user:${owner?.user_id}`)).toContainEqual(
      expect.objectContaining({
        action: 'delete',
        outcome: 'failure',
        actor: 'admin',
        reason: 'database 23503',
      }),
    );
    for (const line of audits) expect(typeof line[AUDIT_FIELDS.reqId]).toBe('string');
  });
});

describe('data minimisation', () => {
  const readOnly = () =>
    forgeJwt(claims({ scope: 'read:user read:transaction' }, auth), {
      alg: 'ES256',
      privateKey: auth.privateKey,
    });
  const secrets = async () =>
    (
      await db.sql<{ credit_card: string; password_hash: string | null }[]>`
      select credit_card, password_hash from users
       where credit_card ~ '^[0-9]+$' and password_hash ~ '^[0-9a-f]{32}$'`
    ).flatMap((row) => [row.credit_card, ...(row.password_hash ? [row.password_hash] : [])]);

  it('never sends a password hash or a full card number, whatever fields a read-only token asks for', async () => {
    const headers = { authorization: `Bearer ${readOnly()}` };
    const stored = await secrets();
    expect(stored.length).toBeGreaterThan(100);
    const bodies: string[] = [];
    for (const path of [
      '/users?limit=1000',
      '/users?limit=1000&fields=credit_card',
      '/users?limit=1000&fields=credit_card,email,username',
      '/users/1',
      '/users/1?fields=credit_card',
    ]) {
      const res = await request(`${api.url}${path}`, { headers });
      expect(res.status, path).toBe(200);
      bodies.push(res.body);
    }
    for (const body of bodies) {
      expect(body).not.toContain('password_hash');
      expect(body).not.toMatch(/[0-9]{5}/);
      for (const secret of stored) expect(body).not.toContain(secret);
    }
    const [first] = JSON.parse(bodies[1] ?? '[]') as { id: number; credit_card: string }[];
    const [card] = await db.sql<
      { credit_card: string }[]
    >`select credit_card from users where id = ${first!.id}`;
    expect(first!.credit_card).toBe(`************${card!.credit_card.slice(-4)}`);
  });

  it('refuses ?fields=password_hash with 400: the field is not readable at all', async () => {
    for (const path of ['/users?fields=password_hash', '/users/1?fields=username,password_hash']) {
      const res = await get(path);
      expect(res.status, path).toBe(400);
      expect(res.body).not.toMatch(/"password_hash":/);
    }
  });

  it('answers writes with the same minimised record', async () => {
    const created = await send('POST', '/users', newUser);
    expect(created.status).toBe(201);
    expect(created.json()).not.toHaveProperty('password_hash');
    expect(created.json()).toMatchObject({ credit_card: '************1111' });
    const updated = await send('PUT', `/users/${created.json<{ id: number }>().id}`, {
      credit_card: '5500000000000004',
      password_hash: 'new-hash',
    });
    expect(updated.status).toBe(200);
    expect(updated.body).not.toContain('new-hash');
    expect(updated.json()).toMatchObject({ credit_card: '************0004' });
    const [row] =
      await db.sql`select credit_card, password_hash from users where id = ${created.json<{ id: number }>().id}`;
    expect(row).toEqual({ credit_card: '5500000000000004', password_hash: 'new-hash' });
  });

  it('masks a card number stored in a shape the API does not expect, instead of passing it through', async () => {
    const [odd] = await db.sql<{ id: number }[]>`
      insert into users (credit_card, currency, email, country, username)
      values ('4111-1111-1111-1111', 'USD', 'odd@example.org', 'US', 'odd') returning id`;
    const res = await get(`/users/${odd!.id}?fields=credit_card`);
    expect(res.json()).toEqual({ id: odd!.id, credit_card: '****************' });
  });
});

describe('behind the database firewall', () => {
  it('serves users whose password_hash is null (dropped) and whose credit_card is jumpwire ciphertext', async () => {
    const ciphertext =
      'jumpwire_AQNwY2kBK0FFUy5HQ00uVjEuNzM0QzEzRTIwN0Y0NkU5NzE2N0U2ODFEQUM1MzA0QTHcmliKjSZ0EYz0MNgt9aGaVcNrsUDdBzRa/fs7SBQYEdDa2CIXEBSqg+k6';
    await db.sql`update users set password_hash = null, credit_card = ${ciphertext} where id <= 3`;
    const one = await get('/users/1');
    expect(one.status).toBe(200);
    // The ciphertext is all the API ever receives: it passes unmasked, so the firewall stays visible.
    expect(one.json()).toMatchObject({ id: 1, credit_card: ciphertext });
    expect(one.json()).not.toHaveProperty('password_hash');
    const list = await get('/users?limit=3');
    expect(list.status).toBe(200);
    expect(list.json<{ credit_card: string }[]>().map((u) => u.credit_card)).toEqual([
      ciphertext,
      ciphertext,
      ciphertext,
    ]);
  });
});

describe('OpenAPI document', () => {
  it('is served as parseable OpenAPI 3 with the resources, the token endpoint and the security scheme', async () => {
    const res = await request(`${api.url}/openapi.json`);
    expect(res.status).toBe(200);
    const doc = res.json<{
      openapi: string;
      paths: Record<string, Record<string, { security?: Record<string, string[]>[]; responses: object }>>;
      components: {
        securitySchemes: Record<string, { type: string; flows?: { clientCredentials?: object } }>;
      };
    }>();
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/users',
        '/users/{id}',
        '/transactions',
        '/transactions/{id}',
        '/oauth/token',
      ]),
    );
    expect(doc.components.securitySchemes.oauth2?.flows?.clientCredentials).toMatchObject({
      tokenUrl: '/oauth/token',
    });
    expect(doc.paths['/users']?.post?.security).toEqual([{ oauth2: ['modify:user'] }]);
    expect(doc.paths['/transactions/{id}']?.get?.security).toEqual([{ oauth2: ['read:transaction'] }]);
    // Every schema in the document must be a schema a validator accepts.
    const ajv = new Ajv({ strict: false, validateFormats: false });
    let schemas = 0;
    const visit = (node: unknown): void => {
      if (typeof node !== 'object' || node === null) return;
      for (const [key, value] of Object.entries(node)) {
        if (key === 'schema' && typeof value === 'object' && value !== null) {
          ajv.compile(value as object);
          schemas += 1;
        } else visit(value);
      }
    };
    visit(doc.paths);
    expect(schemas).toBeGreaterThan(20);
  });
});

describe('other instances on the same database', () => {
  it('sends no helmet headers with SECURITY_HEADERS=off', async () => {
    const plain = await startApi(
      { ...db.pg.env, ...auth.env, PORT: '0', LOG_LEVEL: 'silent', SECURITY_HEADERS: 'off' },
      { logStream: new LogCapture() },
    );
    try {
      const res = await request(`${plain.url}/healthz`);
      expect(res.status).toBe(200);
      expect(res.headers['content-security-policy']).toBeUndefined();
      expect(res.headers['x-content-type-options']).toBeUndefined();
    } finally {
      await plain.close();
    }
  });

  it('reports not ready (503) while PostgreSQL is unreachable', async () => {
    const port = await freePort();
    const broken = await startApi(
      { ...db.pg.env, ...auth.env, PGPORT: String(port), PORT: '0', LOG_LEVEL: 'silent' },
      { logStream: new LogCapture() },
    );
    try {
      expect((await request(`${broken.metricsUrl}/readyz`)).status).toBe(503);
      expect((await request(`${broken.metricsUrl}/healthz`)).status).toBe(200);
      const jwt = forgeJwt(claims({}, auth), { alg: 'ES256', privateKey: auth.privateKey });
      const res = await request(`${broken.url}/users`, { headers: { authorization: `Bearer ${jwt}` } });
      expect(res.status).toBe(503);
      expect(res.json()).toEqual({
        statusCode: 503,
        error: 'Service Unavailable',
        message: 'service temporarily unavailable',
      });
    } finally {
      await broken.close();
    }
  });
});
