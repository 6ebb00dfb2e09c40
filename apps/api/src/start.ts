// Starts the API listener and the plain-HTTP metrics/probe listener from an environment; used by server.ts and tests.
import fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { ServerOptions as HttpsServerOptions } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Writable } from 'node:stream';
import app from './app.js';
import { loadConfig, type ApiConfig, type Env } from './config.js';
import { createSql } from './db/client.js';
import { loggerOptions } from './logger.js';
import { createMetrics } from './metrics.js';
import { frameworkErrors } from './plugins/errors.js';
import { createRepositories } from './plugins/repositories.js';
import healthRoutes from './routes/health.js';

export interface StartedApi {
  url: string;
  metricsUrl: string;
  close(): Promise<void>;
}

export interface StartOptions {
  /** Where log lines go (default stdout); tests capture them here. */
  logStream?: Writable;
}

export const BODY_LIMIT_BYTES = 32 * 1024;

function httpsOptions(config: ApiConfig): HttpsServerOptions | undefined {
  if (!config.tls) return undefined;
  return {
    cert: config.tls.cert,
    key: config.tls.key,
    ca: config.tls.ca,
    minVersion: 'TLSv1.2',
    requestCert: config.tls.requireClientCert,
    rejectUnauthorized: config.tls.requireClientCert,
  };
}

export function serverOptions(config: ApiConfig, logStream?: Writable): FastifyServerOptions {
  const https = httpsOptions(config);
  return {
    logger: loggerOptions(config.logLevel, logStream),
    bodyLimit: BODY_LIMIT_BYTES,
    requestTimeout: 30_000,
    connectionTimeout: 60_000,
    keepAliveTimeout: 65_000,
    return503OnClosing: true,
    frameworkErrors,
    ...(https ? { https } : {}),
  };
}

function urlOf(server: FastifyInstance, protocol: 'http' | 'https'): string {
  const address = server.server.address() as AddressInfo;
  const host =
    address.address === '0.0.0.0' || address.address === '::'
      ? '127.0.0.1'
      : address.family === 'IPv6'
        ? `[${address.address}]`
        : address.address;
  return `${protocol}://${host}:${address.port}`;
}

export async function startApi(env: Env, options: StartOptions = {}): Promise<StartedApi> {
  const config = loadConfig(env);
  const sql = createSql(config.db);
  const metrics = createMetrics();
  const repositories = createRepositories(sql);
  // Built over a plain options type: an https server is the same instance to every plugin.
  const api = fastify(serverOptions(config, options.logStream));
  const probes = fastify({ loggerInstance: api.log.child({ listener: 'metrics' }) });
  const close = async (): Promise<void> => {
    await Promise.allSettled([api.close(), probes.close()]);
    await sql.end({ timeout: 5 });
  };
  try {
    if (config.auth.mode === 'none') {
      api.log.warn(
        'AUTH_MODE=none: AUTHENTICATION IS OFF, every caller gets every scope. Use this only for the insecure start stack.',
      );
    }
    await api.register(app, { config, repositories, metrics });
    await probes.register(healthRoutes, { databaseReady: () => repositories.databaseReady() });
    probes.get('/metrics', async (_request, reply) =>
      reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()),
    );
    await api.listen({ port: config.port, host: config.host });
    await probes.listen({ port: config.metricsPort, host: config.host });
  } catch (error) {
    await close();
    throw error;
  }
  return { url: urlOf(api, config.tls ? 'https' : 'http'), metricsUrl: urlOf(probes, 'http'), close };
}
