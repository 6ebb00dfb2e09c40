// /openapi.json as the oracle: for generated hostile inputs, what the document refuses the server must
// refuse with 400, and what the document accepts the server must never answer with 400 or 500.
import { Ajv, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi, type StartedApi } from '../src/start.js';
import {
  LogCapture,
  createAuthFixture,
  fetchToken,
  jsonRequest,
  request,
  startDatabase,
  type AuthFixture,
  type Database,
  type Response,
} from './helpers.js';

type Schema = Record<string, unknown> & { properties?: Record<string, unknown>; required?: string[] };
interface Parameter {
  name: string;
  in: 'query' | 'path';
  required?: boolean;
  schema: Schema;
}
interface Operation {
  parameters?: Parameter[];
  requestBody?: { content: Record<string, { schema: Schema }> };
  responses: Record<string, unknown>;
}
type Document = { paths: Record<string, Record<string, Operation>> };

let db: Database;
let auth: AuthFixture;
let api: StartedApi;
let token: string;
let doc: Document;
const existing: Record<string, number> = {};

beforeAll(async () => {
  [db, auth] = await Promise.all([startDatabase(), createAuthFixture()]);
  api = await startApi(
    { ...db.pg.env, ...auth.env, PORT: '0', LOG_LEVEL: 'silent' },
    { logStream: new LogCapture() },
  );
  token = (await fetchToken(api.url, auth.clients.admin!)).json<{ access_token: string }>().access_token;
  doc = (await request(`${api.url}/openapi.json`)).json<Document>();
  // Records the body mutations change (PUT) and that no generated id will ever delete.
  existing['/users/{id}'] = (await jsonRequest(`${api.url}/users`, 'POST', VALID['/users'], token)).json<{
    id: number;
  }>().id;
  existing['/transactions/{id}'] = (
    await jsonRequest(`${api.url}/transactions`, 'POST', VALID['/transactions'], token)
  ).json<{ id: number }>().id;
});

afterAll(async () => {
  await api?.close();
  await db?.stop();
  await auth?.cleanup();
});

/** A body each write accepts; mutations start from it. */
const VALID: Record<string, Record<string, unknown>> = {
  '/users': {
    credit_card: '4111111111111111',
    currency: 'GBP',
    email: 'oracle@example.org',
    country: 'GB',
    username: 'oracle',
    password_hash: 'x',
  },
  '/transactions': { amount: '1.00', currency: 'USD', description: 'oracle', user_id: 1 },
};

// What a fuzzer throws at every field: wrong types, edges of every range, injection, clock and money edges.
const HOSTILE: unknown[] = [
  null,
  true,
  0,
  -1,
  1.5,
  2_147_483_647,
  2_147_483_648,
  1e21,
  '',
  ' ',
  '0',
  '-1',
  '1.5',
  '1e3',
  '0x10',
  '00042',
  'NaN',
  'a'.repeat(513),
  'a\u0000b',
  '\ud800',
  "' OR '1'='1",
  '<script>alert(1)</script>',
  '2016-12-31T23:59:60Z',
  '2016-12-31T22:59:60Z',
  '0000-01-01T00:00:00Z',
  '2024-01-01T00:00:00+16:00',
  '2024-02-30T00:00:00Z',
  '999999999999.99',
  '-999999999999.99',
  '1000000000000',
  '12.345',
  'USD',
  'usd',
  'GB',
  'gb',
  'a@b',
  'a@@b',
  '4111111111111111',
  '4111-1111-1111-1111',
  'id',
  'id,email',
  'email,password_hash',
  'amount,user_id',
  [],
  {},
  ['USD'],
  { $gt: '' },
];

function oracle(coerce: boolean): Ajv {
  const ajv = new Ajv({ strict: false, coerceTypes: coerce ? 'array' : false, allErrors: false });
  addFormats.default(ajv);
  return ajv;
}
const bodies = oracle(false);
const params = oracle(true);

/** The operation's parameters of one kind as one object schema, as a client must satisfy them. */
function parameterSchema(operation: Operation, kind: 'query' | 'path'): Schema {
  const list = (operation.parameters ?? []).filter((parameter) => parameter.in === kind);
  return {
    type: 'object',
    properties: Object.fromEntries(list.map((parameter) => [parameter.name, parameter.schema])),
    required: list.filter((parameter) => parameter.required).map((parameter) => parameter.name),
    additionalProperties: false,
  };
}

interface Probe {
  method: string;
  path: string;
  body?: unknown;
  documentSays: boolean;
  documented: string[];
}

async function send(probe: Probe): Promise<Response> {
  if (probe.body === undefined) {
    return request(`${api.url}${probe.path}`, {
      method: probe.method,
      headers: { authorization: `Bearer ${token}` },
    });
  }
  return jsonRequest(`${api.url}${probe.path}`, probe.method, probe.body, token);
}

/** Sends every probe (a few at a time) and returns the ones where server and document disagree. */
async function disagreements(probes: Probe[]): Promise<string[]> {
  const found: string[] = [];
  for (let start = 0; start < probes.length; start += 8) {
    await Promise.all(
      probes.slice(start, start + 8).map(async (probe) => {
        const res = await send(probe);
        const agrees = probe.documentSays
          ? res.status !== 400 && res.status < 500 && probe.documented.includes(String(res.status))
          : res.status === 400;
        if (!agrees) {
          const body = probe.body === undefined ? '' : ` ${JSON.stringify(probe.body).slice(0, 120)}`;
          found.push(
            `${probe.method} ${probe.path.slice(0, 120)}${body}: document ${probe.documentSays ? 'accepts' : 'refuses'}, server ${res.status} ${res.body.slice(0, 100)}`,
          );
        }
      }),
    );
  }
  return found;
}

function operations(): { path: string; method: string; operation: Operation }[] {
  return Object.entries(doc.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, operation]) => ({ path, method: method.toUpperCase(), operation })),
  );
}

describe('/openapi.json against the server', () => {
  it('documents every resource operation the probes below cover', () => {
    const covered = operations().filter(
      ({ path }) => path.startsWith('/users') || path.startsWith('/transactions'),
    );
    expect(covered.map(({ method, path }) => `${method} ${path}`).sort()).toEqual([
      'DELETE /transactions/{id}',
      'DELETE /users/{id}',
      'GET /transactions',
      'GET /transactions/{id}',
      'GET /users',
      'GET /users/{id}',
      'POST /transactions',
      'POST /users',
      'PUT /transactions/{id}',
      'PUT /users/{id}',
    ]);
  });

  it('agrees on JSON bodies: every field of every write, mutated, dropped, and unknown fields added', async () => {
    const probes: Probe[] = [];
    for (const { path, method, operation } of operations()) {
      const schema = operation.requestBody?.content['application/json']?.schema;
      if (schema === undefined) continue;
      const collection = path.replace('/{id}', '');
      const target = path.includes('{id}') ? path.replace('{id}', String(existing[path])) : path;
      const validate: ValidateFunction = bodies.compile(schema);
      const base = VALID[collection] ?? {};
      const variants: Record<string, unknown>[] = [];
      for (const field of Object.keys(schema.properties ?? {})) {
        for (const value of HOSTILE) variants.push({ ...base, [field]: value });
        const { [field]: _dropped, ...without } = base;
        variants.push(without);
      }
      for (const extra of ['id', 'created_at', 'is_admin', 'password', '__proto__x']) {
        variants.push({ ...base, [extra]: 1 });
      }
      variants.push({}, { [Object.keys(base)[0] ?? 'x']: Object.values(base)[0] });
      for (const body of variants) {
        probes.push({
          method,
          path: target,
          body,
          documentSays: validate(structuredClone(body)),
          documented: Object.keys(operation.responses),
        });
      }
    }
    expect(probes.length).toBeGreaterThan(800);
    expect(probes.filter((probe) => probe.documentSays).length).toBeGreaterThan(50);
    expect(await disagreements(probes)).toEqual([]);
  });

  it('agrees on query and path parameters, one hostile value at a time', async () => {
    const probes: Probe[] = [];
    for (const { path, method, operation } of operations()) {
      if (!path.startsWith('/users') && !path.startsWith('/transactions')) continue;
      // Generated ids may hit real records: deleting them is fine only after every other probe.
      if (method === 'DELETE') continue;
      const query = params.compile(parameterSchema(operation, 'query'));
      const pathSchema = params.compile(parameterSchema(operation, 'path'));
      const documented = Object.keys(operation.responses);
      const fixedId = String(existing[path] ?? '');
      const queryNames = Object.keys(parameterSchema(operation, 'query').properties ?? {});
      // A URL cannot carry a lone surrogate: it would arrive as U+FFFD, not as the value the oracle judged.
      const scalars = HOSTILE.filter((value) => typeof value !== 'object' || value === null)
        .map(String)
        .filter((value) => {
          try {
            return encodeURIComponent(value) !== '';
          } catch {
            return false;
          }
        });
      for (const name of queryNames) {
        for (const value of scalars) {
          const search = new URLSearchParams({ [name]: value }).toString();
          probes.push({
            method,
            path: `${path.replace('{id}', fixedId)}?${search}`,
            documentSays: query({ [name]: value }) && (fixedId === '' || pathSchema({ id: fixedId })),
            documented,
          });
        }
      }
      if (path.includes('{id}') && method === 'GET') {
        for (const value of scalars) {
          if (value === '' || value.includes('/')) continue;
          probes.push({
            method,
            path: path.replace('{id}', encodeURIComponent(value)),
            documentSays: pathSchema({ id: value }),
            documented,
          });
        }
      }
    }
    expect(probes.length).toBeGreaterThan(200);
    expect(await disagreements(probes)).toEqual([]);
  });
});
