// JWT verification cost per request, in-process CPU time: the API's own auth plugin (ES256,
// @fastify/jwt) measured alone and as the whole onRequest hook (verify, claims, scope, audit line).
import fastify from 'fastify';
import { readFile } from 'node:fs/promises';
import { Writable } from 'node:stream';
import { auditPlugin } from '../../apps/api/src/audit.js';
import type { AuthConfig } from '../../apps/api/src/config.js';
import {
  DEFAULT_AUDIENCE,
  DEFAULT_FAILURE_LIMIT,
  DEFAULT_FAILURE_WINDOW_SECONDS,
  DEFAULT_ISSUER,
} from '../../apps/api/src/config.js';
import { loggerOptions } from '../../apps/api/src/logger.js';
import { createMetrics } from '../../apps/api/src/metrics.js';
import auth from '../../apps/api/src/plugins/auth.js';
import type { Fixture } from './fixture.js';

export interface JwtCost {
  /** fastify.jwt.verify of a token seen before (answered by the verified-token cache), microseconds. */
  verifyMicros: number;
  /** fastify.jwt.verify of a token never seen (the ES256 signature check), microseconds. */
  firstVerifyMicros: number;
  /** fastify.jwt.decode (no signature check), microseconds. */
  decodeMicros: number;
  /** A request through inject with the auth hook minus the same request on a public route, microseconds. */
  hookMicros: number;
  iterations: number;
}

// CPU time, not wall time: on a shared machine the wall clock also counts other processes' turns.
function cpuMicros(since: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(since);
  return used.user + used.system;
}

function timePerCall(iterations: number, call: () => unknown): number {
  for (let i = 0; i < Math.min(1000, iterations); i += 1) call();
  const started = process.cpuUsage();
  for (let i = 0; i < iterations; i += 1) call();
  return cpuMicros(started) / iterations;
}

async function timePerRequest(iterations: number, call: () => Promise<unknown>): Promise<number> {
  for (let i = 0; i < Math.min(500, iterations); i += 1) await call();
  const started = process.cpuUsage();
  for (let i = 0; i < iterations; i += 1) await call();
  return cpuMicros(started) / iterations;
}

export async function measureJwtCost(fixture: Fixture, iterations: number): Promise<JwtCost> {
  const config: AuthConfig = {
    mode: 'jwt',
    publicKey: await readFile(fixture.jwt.publicKeyFile, 'utf8'),
    issuer: DEFAULT_ISSUER,
    audience: DEFAULT_AUDIENCE,
    tokenIssuer: {
      privateKey: await readFile(fixture.jwt.privateKeyFile, 'utf8'),
      clients: [],
      failureLimit: DEFAULT_FAILURE_LIMIT,
      failureWindowSeconds: DEFAULT_FAILURE_WINDOW_SECONDS,
    },
  };
  // Logs are produced as in the server (info level, audit lines) and thrown away.
  const sink = new Writable({ write: (_chunk, _encoding, done) => done() });
  const app = fastify({ logger: loggerOptions('info', sink) });
  await app.register(auditPlugin);
  await app.register(auth, { auth: config, metrics: createMetrics() });
  app.get('/scoped', { config: { scope: 'read:user' } }, async () => ({ ok: true }));
  app.get('/open', async () => ({ ok: true }));
  await app.ready();
  try {
    const now = Math.floor(Date.now() / 1000);
    const token = app.jwt.sign(
      { sub: 'bench', scope: 'read:user', jti: 'bench-jti', iat: now, exp: now + 600 },
      { header: { alg: 'ES256', typ: 'at+jwt' } },
    );
    const verifyMicros = timePerCall(iterations, () => app.jwt.verify(token));
    // Distinct tokens (distinct jti), signed beforehand: every verification misses the cache.
    const fresh = Array.from({ length: Math.min(iterations, 2000) }, (_, i) =>
      app.jwt.sign(
        { sub: 'bench', scope: 'read:user', jti: `bench-fresh-${i}`, iat: now, exp: now + 600 },
        { header: { alg: 'ES256', typ: 'at+jwt' } },
      ),
    );
    const started = process.cpuUsage();
    for (const each of fresh) app.jwt.verify(each);
    const firstVerifyMicros = cpuMicros(started) / fresh.length;
    const decodeMicros = timePerCall(iterations, () => app.jwt.decode(token));
    const headers = { authorization: `Bearer ${token}` };
    const scoped = await app.inject({ url: '/scoped', headers });
    if (scoped.statusCode !== 200) throw new Error(`jwt-cost: scoped route answered ${scoped.statusCode}`);
    const withAuth = await timePerRequest(iterations, () => app.inject({ url: '/scoped', headers }));
    const without = await timePerRequest(iterations, () => app.inject({ url: '/open', headers }));
    return { verifyMicros, firstVerifyMicros, decodeMicros, hookMicros: withAuth - without, iterations };
  } finally {
    await app.close();
  }
}
