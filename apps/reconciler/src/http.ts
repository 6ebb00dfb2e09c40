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
  /** The run's deadline: once aborted, the request (or the wait before a retry) stops with its reason. */
  signal?: AbortSignal;
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

/** The code of an attempt that missed its whole-response deadline (retried like a socket timeout). */
export const RESPONSE_TIMEOUT = 'RESPONSE_TIMEOUT';

/** A keep-alive connection pool with the configured trust, client certificate, timeouts and retries. */
export function createHttpClient(
  config: Pick<ReconcilerConfig, 'tls' | 'timeoutMs' | 'retry'>,
  wait: (ms: number, signal?: AbortSignal) => Promise<unknown> = (ms, signal) =>
    sleep(ms, undefined, { signal }),
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
    // undici's idle timeouts restart with every chunk, so a body trickling a byte a second never
    // trips them: the whole response gets one deadline.
    const deadline = AbortSignal.timeout(timeoutMs);
    try {
      return await receive(req, req.signal ? AbortSignal.any([deadline, req.signal]) : deadline);
    } catch (error) {
      if (deadline.aborted && !req.signal?.aborted) {
        throw Object.assign(new Error(`no complete response within ${timeoutMs} ms`), {
          code: RESPONSE_TIMEOUT,
        });
      }
      throw error;
    }
  };

  const receive = async (req: HttpRequest, signal: AbortSignal): Promise<Omit<HttpResponse, 'attempts'>> => {
    const response = await request(req.url, {
      dispatcher: agent,
      method: req.method,
      headers: req.headers,
      body: req.body,
      signal,
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
        return await withRetries(
          config.retry,
          () => sendOnce(req),
          (ms) => wait(ms, req.signal),
        );
      } catch (error) {
        // The run's deadline names itself; whatever the socket said about the abort does not matter.
        if (req.signal?.aborted) throw req.signal.reason;
        throw toReconcilerError(error, req, timeoutMs);
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
export function toReconcilerError(error: unknown, req: HttpRequest, timeoutMs?: number): ReconcilerError {
  if (error instanceof ReconcilerError) return error;
  const code = errorCode(error) ?? 'unknown';
  const message = error instanceof Error ? error.message : String(error);
  if (code === RESPONSE_TIMEOUT) {
    const retried = /\(after \d+ attempts\)$/.exec(message)?.[0] ?? '';
    return new ReconcilerError(
      `${describe(req)}: no complete response within RECONCILER_TIMEOUT_MS=${timeoutMs} ms ${retried}`.trim(),
      'timeout',
    );
  }
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
