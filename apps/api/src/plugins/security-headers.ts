// helmet: the standard security headers, on unless SECURITY_HEADERS=off (the insecure start stack).
import helmet from '@fastify/helmet';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

async function securityHeaders(fastify: FastifyInstance): Promise<void> {
  await fastify.register(helmet, {
    // A JSON API loads nothing: forbid everything a browser might be tricked into loading.
    contentSecurityPolicy: { directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } },
    hsts: { maxAge: 31_536_000, includeSubDomains: true },
  });
}

export default fp(securityHeaders, { name: 'security-headers' });
