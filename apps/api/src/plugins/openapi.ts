// OpenAPI 3 document generated from the route schemas, served at /openapi.json.
import swagger from '@fastify/swagger';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { SCOPE_DESCRIPTIONS } from '@secure-workshop/contracts';

export const SECURITY_SCHEME = 'oauth2';

async function openapi(fastify: FastifyInstance, options: { tokenEndpoint: boolean }): Promise<void> {
  await fastify.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'secure-workshop API',
        version: '0.1.0',
        description:
          'Users and transactions of the workshop bank, with OAuth2 client-credentials access tokens.',
      },
      components: {
        securitySchemes: {
          [SECURITY_SCHEME]: {
            type: 'oauth2',
            description: options.tokenEndpoint
              ? 'ES256 access tokens from this service'
              : 'ES256 access tokens from the workshop issuer',
            flows: {
              clientCredentials: {
                tokenUrl: '/oauth/token',
                scopes: { ...SCOPE_DESCRIPTIONS },
              },
            },
          },
          bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
        },
      },
    },
  });
  fastify.get('/openapi.json', { schema: { hide: true } }, async () => fastify.swagger());
}

export default fp(openapi, { name: 'openapi' });
