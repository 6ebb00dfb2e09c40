// POST /oauth/token: client-credentials grant with HTTP Basic client authentication; errors per RFC 6749 §5.
import formbody from '@fastify/formbody';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { randomUUID } from 'node:crypto';
import { Type } from 'typebox';
import { AUDIT_ACTIONS, AUDIT_OUTCOMES, auditRequest } from '../audit.js';
import type { TokenIssuerConfig } from '../config.js';
import type { ApiMetrics } from '../metrics.js';
import { FailureThrottle } from '../throttle.js';
import {
  ACCESS_TOKEN_LIFETIME_SECONDS,
  OAuthError,
  authenticateClient,
  grantScopes,
  parseBasicAuthorization,
} from '../tokens.js';

// RFC 6749 §3.1: unknown form parameters are ignored, so this object is open (no additionalProperties: false).
const TokenRequest = Type.Object({
  grant_type: Type.Literal('client_credentials', {
    description: 'Anything else is answered with 400 unsupported_grant_type',
  }),
  scope: Type.Optional(
    Type.String({
      maxLength: 256,
      pattern: '^[\\x21\\x23-\\x5B\\x5D-\\x7E]+( [\\x21\\x23-\\x5B\\x5D-\\x7E]+)*$',
      description:
        "Space-separated scopes within the client's allowance (RFC 6749 §3.3); beyond it: 400 invalid_scope",
    }),
  ),
});

const TokenResponse = Type.Object({
  access_token: Type.String(),
  token_type: Type.Literal('Bearer'),
  expires_in: Type.Integer(),
  scope: Type.String(),
});

const OAuthErrorResponse = Type.Object({
  error: Type.String(),
  error_description: Type.Optional(Type.String()),
});

export interface OAuthRoutesOptions {
  tokenIssuer: TokenIssuerConfig;
  metrics: ApiMetrics;
}

/** Client ids whose failures are remembered at once (ids are cut to 129 characters: a few MiB at most). */
const MAX_TRACKED_CLIENT_IDS = 10_000;

export default async function oauthRoutes(
  fastify: FastifyInstance,
  options: OAuthRoutesOptions,
): Promise<void> {
  const { clients, failureLimit, failureWindowSeconds } = options.tokenIssuer;
  // Defence in depth behind the gateway's rate limit: guessing one client's secret stays slow here too.
  const throttle = new FailureThrottle({
    limit: failureLimit,
    windowMs: failureWindowSeconds * 1000,
    maxTracked: MAX_TRACKED_CLIENT_IDS,
  });
  await fastify.register(formbody, { bodyLimit: 4096 });

  const fail = (
    request: FastifyRequest,
    reply: FastifyReply,
    error: OAuthError,
    actor: string,
  ): FastifyReply => {
    options.metrics.tokenRequests.inc({ outcome: error.code });
    auditRequest(request, {
      action: AUDIT_ACTIONS.issueToken,
      actor,
      target: 'oauth/token',
      outcome: AUDIT_OUTCOMES.denied,
      reason: error.code,
    });
    if (error.status === 401)
      reply.header('www-authenticate', 'Basic realm="secure-workshop", charset="UTF-8"');
    if (error.retryAfterSeconds !== undefined) reply.header('retry-after', String(error.retryAfterSeconds));
    return reply
      .code(error.status)
      .header('cache-control', 'no-store')
      .header('pragma', 'no-cache')
      .send({ error: error.code, error_description: error.description });
  };

  fastify.post(
    '/oauth/token',
    {
      attachValidation: true,
      schema: {
        tags: ['oauth'],
        summary: 'Client-credentials grant (RFC 6749 §4.4) with HTTP Basic client authentication',
        consumes: ['application/x-www-form-urlencoded'],
        body: TokenRequest,
        response: {
          200: TokenResponse,
          400: OAuthErrorResponse,
          401: OAuthErrorResponse,
          429: OAuthErrorResponse,
        },
      },
    },
    async (request, reply) => {
      const credentials = parseBasicAuthorization(request.headers.authorization);
      if (!credentials) {
        return fail(
          request,
          reply,
          new OAuthError('invalid_client', 'HTTP Basic client authentication is required'),
          'unknown',
        );
      }
      // Same steps for an unknown id and a wrong secret, so neither answer nor timing tells them apart.
      const wait = throttle.retryAfterSeconds(credentials.clientId);
      if (wait > 0) {
        const error = new OAuthError(
          'temporarily_unavailable',
          `too many failed authentications for this client; retry after ${wait} s`,
          wait,
        );
        return fail(request, reply, error, 'unknown');
      }
      const client = authenticateClient(clients, credentials);
      if (!client) {
        throttle.recordFailure(credentials.clientId);
        return fail(
          request,
          reply,
          new OAuthError('invalid_client', 'client authentication failed'),
          'unknown',
        );
      }
      throttle.recordSuccess(client.clientId);
      const isForm =
        request.headers['content-type']?.startsWith('application/x-www-form-urlencoded') ?? false;
      // attachValidation: the body arrives even when the schema refused it, so it is narrowed here.
      const body: unknown = request.body;
      const form = typeof body === 'object' && body !== null ? body : {};
      const grantType = 'grant_type' in form ? form.grant_type : undefined;
      const requestedScope = 'scope' in form && typeof form.scope === 'string' ? form.scope : undefined;
      if (!isForm || typeof grantType !== 'string' || grantType === '') {
        const error = new OAuthError(
          'invalid_request',
          'send grant_type (and optionally scope) as a form post',
        );
        return fail(request, reply, error, client.clientId);
      }
      if (grantType !== 'client_credentials') {
        const error = new OAuthError('unsupported_grant_type', 'only client_credentials is supported');
        return fail(request, reply, error, client.clientId);
      }
      // grant_type is fine by now, so the schema refused the scope (RFC 6749 §5.2: malformed is invalid_scope).
      if (request.validationError) {
        const error = new OAuthError(
          'invalid_scope',
          'scope must be space-separated scope tokens (256 characters at most)',
        );
        return fail(request, reply, error, client.clientId);
      }
      let scopes;
      try {
        scopes = grantScopes(client, requestedScope);
      } catch (error) {
        if (error instanceof OAuthError) return fail(request, reply, error, client.clientId);
        throw error;
      }
      const issuedAt = Math.floor(Date.now() / 1000);
      const scope = scopes.join(' ');
      // alg, typ (at+jwt), iss and aud come from the auth plugin's signer defaults.
      const accessToken = fastify.jwt.sign({
        sub: client.clientId,
        client_id: client.clientId,
        scope,
        jti: randomUUID(),
        iat: issuedAt,
        exp: issuedAt + ACCESS_TOKEN_LIFETIME_SECONDS,
      });
      options.metrics.tokenRequests.inc({ outcome: 'issued' });
      auditRequest(request, {
        action: AUDIT_ACTIONS.issueToken,
        actor: client.clientId,
        target: 'oauth/token',
        outcome: AUDIT_OUTCOMES.success,
      });
      return reply.header('cache-control', 'no-store').header('pragma', 'no-cache').send({
        access_token: accessToken,
        token_type: 'Bearer',
        expires_in: ACCESS_TOKEN_LIFETIME_SECONDS,
        scope,
      });
    },
  );
}
