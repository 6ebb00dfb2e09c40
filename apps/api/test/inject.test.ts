// The API in-process (app.inject) over fake repositories, no PostgreSQL: authentication, scopes on every
// route, validation before any repository call, and the mapping of every failure to a JSON status.
import fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import app from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { loggerOptions } from '../src/logger.js';
import { createMetrics } from '../src/metrics.js';
import type { Repositories } from '../src/plugins/repositories.js';
import type { Page, PageRequest } from '../src/repositories/rows.js';
import { SCOPES, type Scope } from '@secure-workshop/contracts';
import { LogCapture, claims, createAuthFixture, forgeJwt, type AuthFixture } from './helpers.js';

/** In-memory stores that record every call and can be told to fail the next one. */
class FakeStore<Item extends { id: number }> {
  readonly calls: string[] = [];
  readonly rows = new Map<number, Item>();
  failNext: unknown;

  constructor(private readonly make: (id: number, input: object) => Item) {}

  private enter(call: string): void {
    this.calls.push(call);
    const failure = this.failNext;
    this.failNext = undefined;
    if (failure !== undefined) throw failure;
  }

  async list(request: PageRequest<string>): Promise<Page<Item>> {
    this.enter('list');
    const items = [...this.rows.values()].filter((row) => row.id > request.after).slice(0, request.limit);
    return { items, nextAfter: undefined };
  }
  async get(id: number): Promise<Item | undefined> {
    this.enter('get');
    return this.rows.get(id);
  }
  async create(input: object): Promise<Item> {
    this.enter('create');
    const row = this.make(this.rows.size + 1, input);
    this.rows.set(row.id, row);
    return row;
  }
  async update(id: number, input: object): Promise<Item | undefined> {
    this.enter('update');
    const row = this.rows.get(id);
    return row === undefined ? undefined : { ...row, ...input };
  }
  async remove(id: number): Promise<boolean> {
    this.enter('remove');
    return this.rows.delete(id);
  }
}

const users = new FakeStore((id, input) => ({ id, currency: 'USD' as const, ...input }));
const transactions = new FakeStore((id, input) => ({ id, amount: '1.00', ...input }));
const repositories: Repositories = {
  users,
  transactions,
  databaseReady: async () => true,
};

let auth: AuthFixture;
let api: FastifyInstance;
const logs = new LogCapture();
/** Every route that demands a scope, as `METHOD url scope`, seen as the app registered it. */
const scoped: string[] = [];

beforeAll(async () => {
  auth = await createAuthFixture();
  const config = loadConfig({ ...auth.env, PGSSLMODE: 'disable' });
  api = fastify({ logger: loggerOptions('info', logs) });
  api.addHook('onRoute', (route) => {
    const scope = (route.config as { scope?: Scope } | undefined)?.scope;
    for (const method of [route.method].flat()) {
      if (scope !== undefined && method !== 'HEAD') scoped.push(`${method} ${route.url} ${scope}`);
    }
  });
  await api.register(app, { config, repositories, metrics: createMetrics() });
  await api.ready();
});

afterAll(async () => {
  await api?.close();
  await auth?.cleanup();
});

beforeEach(() => {
  for (const store of [users, transactions]) {
    store.calls.length = 0;
    store.rows.clear();
  }
  users.rows.set(1, { id: 1, currency: 'USD' });
  transactions.rows.set(1, { id: 1, amount: '1.00' });
});

const token = (scopes: readonly Scope[]) =>
  forgeJwt(claims({ scope: scopes.join(' ') }, auth), { alg: 'ES256', privateKey: auth.privateKey });
const bearer = (scopes: readonly Scope[] = SCOPES) => ({ authorization: `Bearer ${token(scopes)}` });

const validBodies: Record<string, object> = {
  '/users': {
    credit_card: '4111111111111111',
    currency: 'GBP',
    email: 'a@example.org',
    country: 'GB',
    username: 'inject',
  },
  '/transactions': { amount: '1.00', currency: 'USD', description: 'inject', user_id: 1 },
};

interface RouteCase {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  url: string;
  scope: Scope;
  body?: object;
}

const routes: RouteCase[] = (['/users', '/transactions'] as const).flatMap((path) => {
  const noun = path === '/users' ? 'user' : 'transaction';
  const read = `read:${noun}` as Scope;
  const modify = `modify:${noun}` as Scope;
  return [
    { method: 'GET', url: path, scope: read },
    { method: 'GET', url: `${path}/1`, scope: read },
    { method: 'POST', url: path, scope: modify, body: validBodies[path] },
    { method: 'PUT', url: `${path}/1`, scope: modify, body: { currency: 'EUR' } },
    { method: 'DELETE', url: `${path}/1`, scope: modify },
  ];
});

const inject = (route: RouteCase, headers: Record<string, string>) =>
  api.inject({
    method: route.method,
    url: route.url,
    headers,
    ...(route.body ? { payload: route.body } : {}),
  });
const storeCalls = () => [...users.calls, ...transactions.calls];

describe('scopes on every resource route', () => {
  it('covers every route that demands a scope, and each with the scope it demands', () => {
    const cases = routes.map(
      (route) => `${route.method} ${route.url.replace(/\/1$/, '/:id')} ${route.scope}`,
    );
    expect(cases.sort()).toEqual([...scoped].sort());
  });

  it.each(routes)(
    '$method $url: 401 without a token, 403 without $scope, and no store call',
    async (route) => {
      const anonymous = await inject(route, {});
      expect(anonymous.statusCode).toBe(401);
      expect(anonymous.headers['www-authenticate']).toBe('Bearer realm="secure-workshop"');
      const others = SCOPES.filter((scope) => scope !== route.scope);
      const denied = await inject(route, bearer(others));
      expect(denied.statusCode).toBe(403);
      expect(denied.headers['www-authenticate']).toContain(`scope="${route.scope}"`);
      expect(storeCalls()).toEqual([]);
      const allowed = await inject(route, bearer([route.scope]));
      expect(allowed.statusCode).toBeLessThan(300);
      expect(storeCalls()).toHaveLength(1);
    },
  );

  it('answers the probes and the OpenAPI document without a token', async () => {
    for (const url of ['/healthz', '/readyz', '/openapi.json']) {
      expect((await api.inject({ url })).statusCode, url).toBe(200);
    }
  });
});

describe('authentication', () => {
  it.each([
    ['an expired token', { iat: 1_600_000_000, exp: 1_600_000_300 }, {}],
    [
      'a future iat',
      { iat: Math.floor(Date.now() / 1000) + 3600, exp: Math.floor(Date.now() / 1000) + 3900 },
      {},
    ],
    ['typ JWT', {}, { typ: 'JWT' }],
    ['another audience', { aud: 'elsewhere' }, {}],
  ])('refuses %s with 401 before any store call', async (_name, overrides, header) => {
    const jwt = forgeJwt(claims(overrides, auth), { alg: 'ES256', privateKey: auth.privateKey }, header);
    const res = await api.inject({ url: '/users', headers: { authorization: `Bearer ${jwt}` } });
    expect(res.statusCode).toBe(401);
    expect(res.json()).toEqual({
      statusCode: 401,
      error: 'Unauthorized',
      message: 'a valid bearer access token is required',
    });
    expect(storeCalls()).toEqual([]);
  });
});

describe('validation before the store', () => {
  it.each([
    ['an unknown field', 'POST', '/users', { ...validBodies['/users'], id: 7 }],
    ['a number as amount', 'POST', '/transactions', { ...validBodies['/transactions'], amount: 1 }],
    ['an empty update', 'PUT', '/users/1', {}],
    ['a bad currency', 'PUT', '/transactions/1', { currency: 'XXX' }],
  ] as const)('refuses %s with 400 and calls no store', async (_name, method, url, payload) => {
    const res = await api.inject({ method, url, payload, headers: bearer() });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ statusCode: 400, error: 'Bad Request' });
    expect(storeCalls()).toEqual([]);
  });

  it.each(['/users?limit=0', '/users?fields=password_hash', '/users?x=1', '/transactions/abc'])(
    'refuses %s with 400 and calls no store',
    async (url) => {
      const res = await api.inject({ url, headers: bearer() });
      expect(res.statusCode).toBe(400);
      expect(storeCalls()).toEqual([]);
    },
  );
});

describe('error mapping', () => {
  const fail = (code: string) => Object.assign(new Error(`database said ${code}`), { code });

  it.each([
    ['23503', 409, 'the change conflicts with related records'],
    ['23505', 409, 'a record with these values already exists'],
    ['22P02', 400, 'a value has the wrong format'],
    ['22009', 400, 'a time zone offset is out of range'],
    ['22023', 400, 'a value cannot be stored in its column'],
    ['ECONNREFUSED', 503, 'service temporarily unavailable'],
    ['CONNECTION_CLOSED', 503, 'service temporarily unavailable'],
    ['XX000', 500, 'internal error'],
  ])('a store failure with code %s is a %i with a fixed message', async (code, status, message) => {
    users.failNext = fail(code);
    const res = await api.inject({ method: 'DELETE', url: '/users/1', headers: bearer() });
    expect(res.statusCode).toBe(status);
    expect(res.json()).toEqual({ statusCode: status, error: expect.any(String), message });
    expect(res.body).not.toContain('database said');
  });

  it('hides an unexpected error but logs it', async () => {
    transactions.failNext = new Error('secret internals at line 42');
    const res = await api.inject({ url: '/transactions/1', headers: bearer() });
    expect(res.statusCode).toBe(500);
    expect(res.body).not.toContain('secret internals');
    expect(logs.text).toContain('secret internals');
  });

  it('answers a missing record with 404 on get, update and delete', async () => {
    for (const method of ['GET', 'PUT', 'DELETE'] as const) {
      const res = await api.inject({
        method,
        url: '/users/99',
        headers: bearer(),
        ...(method === 'PUT' ? { payload: { currency: 'EUR' } } : {}),
      });
      expect(res.statusCode, method).toBe(404);
      expect(res.json()).toEqual({ statusCode: 404, error: 'Not Found', message: 'user 99 not found' });
    }
  });

  it('answers another method on a known path with 405 and Allow, an unknown path with 404', async () => {
    const wrongMethod = await api.inject({ method: 'PATCH', url: '/transactions/1' });
    expect(wrongMethod.statusCode).toBe(405);
    expect(wrongMethod.headers.allow).toBe('DELETE, GET, HEAD, PUT');
    expect((await api.inject({ url: '/nope' })).statusCode).toBe(404);
  });
});
