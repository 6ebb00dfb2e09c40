import { describe, expect, it } from 'vitest';
import {
  backoffDelayMs,
  isRetryableError,
  isRetryableStatus,
  withRetries,
  type RetryPolicy,
} from '../src/retry.js';

const policy: RetryPolicy = { maxAttempts: 4, baseDelayMs: 100, maxDelayMs: 1000 };

function codeError(code: string): Error {
  return Object.assign(new Error(code), { code });
}

describe('retry classification', () => {
  it('retries only 502/503/504', () => {
    expect([502, 503, 504].map(isRetryableStatus)).toEqual([true, true, true]);
    expect([200, 400, 401, 403, 404, 409, 429, 500].map(isRetryableStatus)).toEqual(Array(8).fill(false));
  });

  it('retries connection resets and refusals, also when wrapped as a cause', () => {
    expect(isRetryableError(codeError('ECONNRESET'))).toBe(true);
    expect(isRetryableError(codeError('ECONNREFUSED'))).toBe(true);
    expect(isRetryableError(new Error('fetch failed', { cause: codeError('UND_ERR_SOCKET') }))).toBe(true);
  });

  it('never retries TLS verification failures or unknown errors', () => {
    expect(isRetryableError(codeError('UNABLE_TO_VERIFY_LEAF_SIGNATURE'))).toBe(false);
    expect(isRetryableError(codeError('ERR_TLS_CERT_ALTNAME_INVALID'))).toBe(false);
    expect(isRetryableError(new Error('boom'))).toBe(false);
    expect(isRetryableError('ECONNRESET')).toBe(false);
  });
});

describe('backoffDelayMs', () => {
  it('doubles per retry, stays within [ceiling/2, ceiling] and is capped', () => {
    expect([1, 2, 3, 4, 5, 10].map((retry) => backoffDelayMs(policy, retry, () => 0))).toEqual([
      50, 100, 200, 400, 500, 500,
    ]);
    expect([1, 2, 3, 4, 5, 10].map((retry) => backoffDelayMs(policy, retry, () => 0.999999))).toEqual([
      99, 199, 399, 799, 999, 999,
    ]);
  });
});

describe('withRetries', () => {
  const run = async (outcomes: (number | Error)[]) => {
    const waits: number[] = [];
    let calls = 0;
    const result = withRetries(
      policy,
      async () => {
        const outcome = outcomes[Math.min(calls, outcomes.length - 1)];
        calls += 1;
        if (outcome instanceof Error) throw outcome;
        return { status: outcome ?? 0 };
      },
      async (ms) => waits.push(ms),
      () => 0.5,
    );
    return { result: await result.catch((error: unknown) => error), calls: () => calls, waits };
  };

  it('retries transient answers with growing delays until success', async () => {
    const { result, calls, waits } = await run([503, codeError('ECONNRESET'), 502, 200]);
    expect(result).toEqual({ status: 200, attempts: 4 });
    expect(calls()).toBe(4);
    expect(waits).toEqual([75, 150, 300]);
  });

  it.each([401, 403, 400, 404, 500])('does not retry %i', async (status) => {
    const { result, calls, waits } = await run([status, 200]);
    expect(result).toEqual({ status, attempts: 1 });
    expect(calls()).toBe(1);
    expect(waits).toEqual([]);
  });

  it('gives up after maxAttempts, returning the last transient status', async () => {
    const { result, calls } = await run([503]);
    expect(result).toEqual({ status: 503, attempts: 4 });
    expect(calls()).toBe(4);
  });

  it('gives up after maxAttempts on connection errors, saying how many attempts it made', async () => {
    const { result, calls } = await run([codeError('ECONNREFUSED')]);
    expect(calls()).toBe(4);
    expect((result as Error).message).toBe('ECONNREFUSED (after 4 attempts)');
  });

  it('does not retry a TLS failure', async () => {
    const { result, calls } = await run([codeError('DEPTH_ZERO_SELF_SIGNED_CERT'), 200]);
    expect(calls()).toBe(1);
    expect((result as Error).message).toBe('DEPTH_ZERO_SELF_SIGNED_CERT');
  });
});
