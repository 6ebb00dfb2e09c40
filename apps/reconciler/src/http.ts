import { setTimeout as sleep } from 'node:timers/promises';
import { Agent, request } from 'undici';
import type { ReconcilerConfig } from './config.js';
import { ReconcilerError } from './errors.js';
import { errorCode, isRetryableStatus, withRetries } from './retry.js';

export interface HttpResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  /** How many attempts it took, for error messages after retries. */
  attempts: number;
}

export interface HttpRequest {
  method: 'GET' | 'POST';
  url: string;
  headers?: Record<string, string>;
  body?: string;
}

export interface HttpClient {
  send(request: HttpRequest): Promise<HttpResponse>;
  /** Number of requests put on the wire, retries included. */
  readonly requestCount: number;
  close(): Promise<void>;
}

// One page of 1000 rows is well under 1 MiB; a bigger body means a broken or hostile server.
const MAX_BODY_BYTES = 16 * 1024 * 1024;

/** TLS errors that mean "not the server we trust": they are reported, never retried. */
const TLS_VERIFY_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_SIGNATURE_FAILURE',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** A keep-alive connection pool with the configured trust, client certificate, timeouts and retries. */
export function createHttpClient(
  config: Pick<ReconcilerConfig, 'tls' | 'timeoutMs' | 'retry'>,
  wait: (ms: number) => Promise<unknown> = (ms) => sleep(ms),
): HttpClient {
  const { tls, timeoutMs } = config;
  const agent = new Agent({
    connections: 4,
    pipelining: 1,
    keepAliveTimeout: 10_000,
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
    connect: {
      timeout: timeoutMs,
      minVersion: 'TLSv1.2',
      rejectUnauthorized: true,
      // `ca` replaces Node's bundled roots, so only the pinned CA is trusted.
      ...(tls.ca !== undefined ? { ca: tls.ca } : {}),
      ...(tls.cert !== undefined && tls.key !== undefined ? { cert: tls.cert, key: tls.key.reveal() } : {}),
    },
  });
  let requestCount = 0;

  const sendOnce = async (req: HttpRequest): Promise<Omit<HttpResponse, 'attempts'>> => {
    requestCount += 1;
    const response = await request(req.url, {
      dispatcher: agent,
      method: req.method,
      headers: req.headers,
      body: req.body,
    });
    if (isRetryableStatus(response.statusCode)) {
      await response.body.dump();
      return { status: response.statusCode, headers: response.headers, body: '' };
    }
    let size = 0;
    const chunks: Buffer[] = [];
    for await (const chunk of response.body) {
      const buffer = chunk as Buffer;
      size += buffer.length;
      if (size > MAX_BODY_BYTES) {
        response.body.destroy();
        throw new ReconcilerError(
          `${describe(req)}: response body larger than ${MAX_BODY_BYTES} bytes`,
          'http',
        );
      }
      chunks.push(buffer);
    }
    return {
      status: response.statusCode,
      headers: response.headers,
      body: Buffer.concat(chunks).toString('utf8'),
    };
  };

  return {
    async send(req) {
      try {
        return await withRetries(config.retry, () => sendOnce(req), wait);
      } catch (error) {
        throw toReconcilerError(error, req);
      }
    },
    get requestCount() {
      return requestCount;
    },
    close: () => agent.close(),
  };
}

function describe(req: HttpRequest): string {
  const url = new URL(req.url);
  return `${req.method} ${url.origin}${url.pathname}`;
}

/** Turns socket and TLS failures into one sentence; the request's headers and body are never included. */
export function toReconcilerError(error: unknown, req: HttpRequest): ReconcilerError {
  if (error instanceof ReconcilerError) return error;
  const code = errorCode(error) ?? 'unknown';
  const message = error instanceof Error ? error.message : String(error);
  if (TLS_VERIFY_CODES.has(code)) {
    return new ReconcilerError(
      `${describe(req)}: TLS verification of the server failed (${code}): ${message}; is TLS_CA_FILE the CA that signed the server certificate?`,
      'tls',
    );
  }
  if (/ssl|tls|alert|certificate/i.test(`${code} ${message}`)) {
    return new ReconcilerError(`${describe(req)}: TLS handshake failed (${code}): ${message}`, 'tls');
  }
  // TLS 1.3 servers refuse a client certificate after the handshake, which looks like a plain close.
  const hint =
    req.url.startsWith('https:') && (code === 'UND_ERR_SOCKET' || code === 'ECONNRESET')
      ? '; the server closed the TLS connection: does it require a client certificate (TLS_CERT_DIR) from its CA?'
      : '';
  return new ReconcilerError(`${describe(req)}: ${code}: ${message}${hint}`, 'network');
}
