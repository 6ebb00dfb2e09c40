// Every expected failure becomes a JSON 4xx; unexpected ones are a bare 500 with the details only in the log.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  409: 'Conflict',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

// PostgreSQL error codes that mean "the request was wrong", not "the server broke".
const PG_CLIENT_ERRORS: Record<string, { status: number; message: string }> = {
  '23503': { status: 409, message: 'the change conflicts with related records' },
  '23505': { status: 409, message: 'a record with these values already exists' },
  '23514': { status: 400, message: 'a value is outside its allowed range' },
  '22001': { status: 400, message: 'a value is too long' },
  '22003': { status: 400, message: 'a number is out of range' },
  '22007': { status: 400, message: 'a date or time is not valid' },
  '22008': { status: 400, message: 'a date or time is out of range' },
  '22009': { status: 400, message: 'a time zone offset is out of range' },
  '22021': { status: 400, message: 'a value has characters that cannot be stored' },
  '22P02': { status: 400, message: 'a value has the wrong format' },
  '22P05': { status: 400, message: 'a value has characters that cannot be stored' },
};
// Any other data exception (SQLSTATE class 22) is still a value the client sent.
const PG_DATA_EXCEPTION = { status: 400, message: 'a value cannot be stored in its column' };

function pgClientError(code: string): { status: number; message: string } | undefined {
  return PG_CLIENT_ERRORS[code] ?? (/^22[0-9A-Z]{3}$/.test(code) ? PG_DATA_EXCEPTION : undefined);
}

// The database is down or unreachable: the request may succeed later.
const UNAVAILABLE = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'CONNECT_TIMEOUT',
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECTION_DESTROYED',
]);

// Every method a route of this API may use, in the order the Allow header lists them.
const ROUTE_METHODS = ['DELETE', 'GET', 'HEAD', 'PATCH', 'POST', 'PUT'] as const;

export function errorBody(statusCode: number, message: string) {
  return { statusCode, error: STATUS_TEXT[statusCode] ?? 'Error', message };
}

/**
 * The server option `frameworkErrors`: a malformed path (bad %-encoding) or a path parameter beyond
 * the router's length limit (Fastify's default answer is a 414 in another shape) is a JSON 400 too.
 */
export function frameworkErrors(error: FastifyError, _request: FastifyRequest, reply: FastifyReply): void {
  const message =
    error.code === 'FST_ERR_MAX_PARAM_LENGTH'
      ? 'a path parameter is too long'
      : 'the path is not a valid URL';
  void reply.code(400).send(errorBody(400, message));
}

async function errorsPlugin(fastify: FastifyInstance): Promise<void> {
  fastify.setErrorHandler((error: FastifyError & { code?: string }, request, reply) => {
    const pg = error.code && !error.statusCode ? pgClientError(error.code) : undefined;
    if (pg) {
      request.log.info({ pgCode: error.code }, 'database refused the request');
      return reply.code(pg.status).send(errorBody(pg.status, pg.message));
    }
    if (error.code && !error.statusCode && UNAVAILABLE.has(error.code)) {
      request.log.error({ err: error }, 'database unavailable');
      return reply.code(503).send(errorBody(503, 'service temporarily unavailable'));
    }
    const status = error.statusCode ?? 500;
    if (status >= 400 && status < 500) {
      return reply.code(status).send(errorBody(status, error.message));
    }
    request.log.error({ err: error }, 'request failed');
    return reply.code(500).send(errorBody(500, 'internal error'));
  });

  fastify.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0] ?? '/';
    // A known path asked with another method (TRACE, PATCH, OPTIONS, ...) is a 405 that names the methods.
    const allowed = ROUTE_METHODS.filter((method) => fastify.findRoute({ method, url: path }) !== null);
    if (allowed.length > 0) {
      return reply
        .code(405)
        .header('allow', allowed.join(', '))
        .send(errorBody(405, `${request.method.slice(0, 20)} is not allowed on ${path.slice(0, 100)}`));
    }
    return reply.code(404).send(errorBody(404, `no route ${request.method} ${path.slice(0, 100)}`));
  });
}

export default fp(errorsPlugin, { name: 'errors' });
