// pino options: credentials are redacted always, whatever the log level.
import type { FastifyServerOptions } from 'fastify';
import type { Writable } from 'node:stream';
import type { LogLevel } from './config.js';

export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers["proxy-authorization"]',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'authorization',
  'password',
  '*.password',
  'client_secret',
  '*.client_secret',
  'access_token',
  '*.access_token',
  'token',
  '*.token',
  'secret',
  '*.secret',
  'PGPASSWORD',
  '*.PGPASSWORD',
];

interface SerializableRequest {
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
  socket?: { remoteAddress?: string | undefined };
  id?: string;
}

export function loggerOptions(
  level: LogLevel,
  stream?: Writable,
): NonNullable<FastifyServerOptions['logger']> {
  return {
    level,
    redact: { paths: REDACTED_PATHS, censor: '[REDACTED]' },
    serializers: {
      req(request: SerializableRequest) {
        return {
          method: request.method,
          // The query string is dropped: it is not ours to trust with secrets.
          url: request.url.split('?')[0],
          headers: request.headers,
          remoteAddress: request.socket?.remoteAddress,
        };
      },
    },
    ...(stream ? { stream } : {}),
  };
}
