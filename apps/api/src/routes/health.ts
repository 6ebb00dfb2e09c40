// Liveness and readiness probes (no auth); served on the main port and on the metrics listener.
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';

const Status = Type.Object({ status: Type.String() });

export interface HealthOptions {
  databaseReady: () => Promise<boolean>;
}

export default async function healthRoutes(fastify: FastifyInstance, options: HealthOptions): Promise<void> {
  fastify.get('/healthz', { schema: { tags: ['probes'], response: { 200: Status } } }, async () => ({
    status: 'ok',
  }));
  fastify.get(
    '/readyz',
    { logLevel: 'warn', schema: { tags: ['probes'], response: { 200: Status, 503: Status } } },
    async (_request, reply) => {
      if (await options.databaseReady()) return { status: 'ready' };
      return reply.code(503).send({ status: 'database unreachable' });
    },
  );
}
