/** Bounded exponential back-off with jitter, for transient failures only. */
export interface RetryPolicy {
  /** Total attempts including the first one. */
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([502, 503, 504]);

// Connection-level failures where the request never reached or never finished at the server.
const RETRYABLE_ERROR_CODES: ReadonlySet<string> = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'RESPONSE_TIMEOUT',
  'UND_ERR_CLOSED',
]);

/** 401/403/400 and every other status outside 502/503/504 are answers, not transient failures. */
export function isRetryableStatus(status: number): boolean {
  return RETRYABLE_STATUSES.has(status);
}

/** TLS verification failures and unknown errors are never retried: repeating them cannot help. */
export function isRetryableError(error: unknown): boolean {
  const code = errorCode(error);
  return code !== undefined && RETRYABLE_ERROR_CODES.has(code);
}

export function errorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') return code;
  const cause = (error as { cause?: unknown }).cause;
  return cause === undefined || cause === error ? undefined : errorCode(cause);
}

/** Delay before retry number `retry` (1-based): "equal jitter", uniform in [c/2, c] with c = min(max, base * 2^(retry-1)). */
export function backoffDelayMs(
  policy: RetryPolicy,
  retry: number,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (retry - 1));
  return Math.floor(ceiling / 2 + random() * (ceiling / 2));
}

/**
 * Runs `attempt` until it yields a non-transient answer or the policy's attempts are spent.
 * A transient status on the last attempt is returned (the caller reports it); a transient error is rethrown.
 */
export async function withRetries<T extends { status: number }>(
  policy: RetryPolicy,
  attempt: () => Promise<T>,
  wait: (ms: number) => Promise<unknown>,
  random: () => number = Math.random,
): Promise<T & { attempts: number }> {
  for (let attempts = 1; ; attempts += 1) {
    const last = attempts >= policy.maxAttempts;
    try {
      const result = await attempt();
      if (last || !isRetryableStatus(result.status)) return { ...result, attempts };
    } catch (error) {
      if (last || !isRetryableError(error)) {
        if (error instanceof Error && attempts > 1) error.message += ` (after ${attempts} attempts)`;
        throw error;
      }
    }
    await wait(backoffDelayMs(policy, attempts, random));
  }
}
