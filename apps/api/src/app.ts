// The API as a Fastify plugin: error handling, headers, OpenAPI, auth, probes, token endpoint and resources.
import type { FastifyInstance } from 'fastify';
import { auditPlugin } from './audit.js';
import type { ApiConfig } from './config.js';
import type { ApiMetrics } from './metrics.js';
import auth from './plugins/auth.js';
import errors from './plugins/errors.js';
import openapi from './plugins/openapi.js';
import repositoriesPlugin, { type Repositories } from './plugins/repositories.js';
import securityHeaders from './plugins/security-headers.js';
import { createValidatorCompiler, schemaErrorFormatter } from './plugins/validation.js';
import healthRoutes from './routes/health.js';
import oauthRoutes from './routes/oauth.js';
import transactionsRoutes from './routes/transactions.js';
import usersRoutes from './routes/users.js';

export interface AppOptions {
  config: ApiConfig;
  repositories: Repositories;
  metrics: ApiMetrics;
}

export default async function app(fastify: FastifyInstance, options: AppOptions): Promise<void> {
  const { config, repositories, metrics } = options;
  fastify.setValidatorCompiler(createValidatorCompiler());
  fastify.setSchemaErrorFormatter(schemaErrorFormatter);
  await fastify.register(errors);
  await fastify.register(auditPlugin);
  if (config.securityHeaders) await fastify.register(securityHeaders);
  const tokenIssuer = config.auth.mode === 'jwt' ? config.auth.tokenIssuer : undefined;
  await fastify.register(openapi, { tokenEndpoint: tokenIssuer !== undefined });
  await fastify.register(repositoriesPlugin, { repositories });

  fastify.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.requests.inc({ method: request.method, route, status_code: String(reply.statusCode) });
    metrics.duration.observe({ method: request.method, route }, reply.elapsedTime / 1000);
  });

  await fastify.register(auth, { auth: config.auth, metrics });
  await fastify.register(healthRoutes, { databaseReady: () => repositories.databaseReady() });
  if (tokenIssuer) await fastify.register(oauthRoutes, { tokenIssuer, metrics });
  await fastify.register(usersRoutes);
  await fastify.register(transactionsRoutes);
}
