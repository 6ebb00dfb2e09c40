// Authentication (ES256 bearer tokens, algorithm pinned, iss/aud checked) and scope authorization per route.
import fastifyJwt from '@fastify/jwt';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { AUDIT_ACTIONS, AUDIT_OUTCOMES, auditRequest } from '../audit.js';
import type { AuthConfig } from '../config.js';
import type { ApiMetrics } from '../metrics.js';
import { SCOPES, isScope, type Scope } from '@secure-workshop/contracts';

export interface Principal {
  subject: string;
  scopes: ReadonlySet<Scope>;
}

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
  interface FastifyContextConfig {
    /** The scope a route needs; routes without one are public. */
    scope?: Scope;
  }
}

export const MAX_TOKEN_LIFETIME_SECONDS = 15 * 60;
/** How far an issuer's clock may run ahead of ours: `iat` may be this much in the future, no more. */
export const CLOCK_SKEW_SECONDS = 30;
/** RFC 9068 §2.1: the `typ` header of a JWT access token; anything else (an ID token, a plain JWT) is refused. */
export const ACCESS_TOKEN_TYPE = 'at+jwt';
const REALM = 'secure-workshop';
/** Verified tokens kept (LRU); a token is reused for its whole life by a client. */
const TOKEN_CACHE_SIZE = 1000;

export interface AccessTokenClaims {
  iss: string;
  aud: string | string[];
  sub: string;
  exp: number;
  iat: number;
  jti: string;
  scope: string;
  client_id?: string;
}

function failureReason(error: unknown): 'missing' | 'expired' | 'invalid' {
  const code = (error as { code?: string }).code ?? '';
  if (code === 'FST_JWT_NO_AUTHORIZATION_IN_HEADER') return 'missing';
  if (code === 'FST_JWT_AUTHORIZATION_TOKEN_EXPIRED' || code === 'FAST_JWT_EXPIRED') return 'expired';
  return 'invalid';
}

/**
 * Claims we rely on beyond the library's checks: typed, scoped, and no longer-lived than we issue,
 * counted from `iat` and from now. Runs on every request, so a verified-token cache hit is judged too.
 */
function principalFrom(claims: Partial<AccessTokenClaims>, nowSeconds: number): Principal | undefined {
  const { sub, scope, exp, iat, jti } = claims;
  if (typeof sub !== 'string' || sub === '' || typeof scope !== 'string' || typeof jti !== 'string')
    return undefined;
  if (typeof exp !== 'number' || typeof iat !== 'number') return undefined;
  // A future iat would otherwise stretch the 15 minutes: exp - iat can be small while exp is far away.
  if (iat > nowSeconds + CLOCK_SKEW_SECONDS) return undefined;
  if (exp - iat > MAX_TOKEN_LIFETIME_SECONDS) return undefined;
  if (exp - nowSeconds > MAX_TOKEN_LIFETIME_SECONDS + CLOCK_SKEW_SECONDS) return undefined;
  return { subject: sub, scopes: new Set(scope.split(' ').filter(isScope)) };
}

export interface AuthPluginOptions {
  auth: AuthConfig;
  metrics: ApiMetrics;
}

async function authPlugin(fastify: FastifyInstance, { auth, metrics }: AuthPluginOptions): Promise<void> {
  if (auth.mode === 'none') {
    const everything: Principal = { subject: 'anonymous', scopes: new Set(SCOPES) };
    fastify.addHook('onRequest', async (request) => {
      request.principal = everything;
    });
    return;
  }

  await fastify.register(fastifyJwt, {
    secret: auth.tokenIssuer
      ? { public: auth.publicKey, private: auth.tokenIssuer.privateKey }
      : { public: auth.publicKey },
    sign: {
      algorithm: 'ES256',
      iss: auth.issuer,
      aud: auth.audience,
      header: { alg: 'ES256', typ: ACCESS_TOKEN_TYPE },
    },
    verify: {
      algorithms: ['ES256'],
      // Checked before a result is cached: a token of another type never reaches the cache.
      checkTyp: ACCESS_TOKEN_TYPE,
      allowedIss: auth.issuer,
      allowedAud: auth.audience,
      requiredClaims: ['iss', 'aud', 'sub', 'exp', 'iat', 'jti', 'scope'],
      // A repeated token skips the ES256 check: entries never outlive the token's exp (fast-jwt caps
      // them there), and failures are not cached (errorCacheTTL default -1), so they are re-checked.
      cache: TOKEN_CACHE_SIZE,
      cacheTTL: MAX_TOKEN_LIFETIME_SECONDS * 1000,
    },
  });

  const refuse = (request: FastifyRequest, reply: FastifyReply, reason: string): FastifyReply => {
    metrics.authFailures.inc({ reason });
    auditRequest(request, {
      action: AUDIT_ACTIONS.authenticate,
      target: `${request.method} ${request.routeOptions.url ?? ''}`,
      outcome: AUDIT_OUTCOMES.failure,
      reason,
    });
    const challenge =
      reason === 'missing' ? `Bearer realm="${REALM}"` : `Bearer realm="${REALM}", error="invalid_token"`;
    return reply
      .code(401)
      .header('www-authenticate', challenge)
      .send({ statusCode: 401, error: 'Unauthorized', message: 'a valid bearer access token is required' });
  };

  // onRequest: refusals happen before the body is even read.
  fastify.addHook('onRequest', async (request, reply) => {
    const required = request.routeOptions.config.scope;
    if (required === undefined) return;
    let principal: Principal | undefined;
    try {
      principal = principalFrom(
        await request.jwtVerify<Partial<AccessTokenClaims>>(),
        Math.floor(Date.now() / 1000),
      );
    } catch (error) {
      return refuse(request, reply, failureReason(error));
    }
    if (!principal) return refuse(request, reply, 'invalid');
    request.principal = principal;
    const target = `${request.method} ${request.routeOptions.url ?? ''}`;
    if (!principal.scopes.has(required)) {
      metrics.authzDenials.inc({ scope: required });
      auditRequest(request, {
        action: AUDIT_ACTIONS.authorize,
        target,
        outcome: AUDIT_OUTCOMES.denied,
        reason: `missing scope ${required}`,
      });
      return reply
        .code(403)
        .header(
          'www-authenticate',
          `Bearer realm="${REALM}", error="insufficient_scope", scope="${required}"`,
        )
        .send({ statusCode: 403, error: 'Forbidden', message: `this request needs the scope ${required}` });
    }
    auditRequest(request, { action: AUDIT_ACTIONS.authorize, target, outcome: AUDIT_OUTCOMES.success });
  });
}

export default fp(authPlugin, { name: 'auth' });
