// The token endpoint's failure throttle alone, on a fake clock: windows, Retry-After and bounded memory.
import { describe, expect, it } from 'vitest';
import { FailureThrottle } from '../src/throttle.js';

function throttleAt(clock: { now: number }, maxTracked = 100): FailureThrottle {
  return new FailureThrottle({ limit: 3, windowMs: 60_000, maxTracked, now: () => clock.now });
}

describe('FailureThrottle', () => {
  it('refuses an id after the limit until its window ends, with the seconds left', () => {
    const clock = { now: 0 };
    const throttle = throttleAt(clock);
    for (let i = 0; i < 3; i += 1) {
      expect(throttle.retryAfterSeconds('admin')).toBe(0);
      throttle.recordFailure('admin');
    }
    expect(throttle.retryAfterSeconds('admin')).toBe(60);
    clock.now = 59_001;
    expect(throttle.retryAfterSeconds('admin')).toBe(1);
    clock.now = 60_000;
    expect(throttle.retryAfterSeconds('admin')).toBe(0);
  });

  it('forgets an id after a success', () => {
    const clock = { now: 0 };
    const throttle = throttleAt(clock);
    throttle.recordFailure('admin');
    throttle.recordFailure('admin');
    throttle.recordSuccess('admin');
    throttle.recordFailure('admin');
    throttle.recordFailure('admin');
    expect(throttle.retryAfterSeconds('admin')).toBe(0);
  });

  it('keeps at most maxTracked ids, forgetting the least recently failed first', () => {
    const clock = { now: 0 };
    const throttle = throttleAt(clock, 1000);
    for (let i = 0; i < 3; i += 1) throttle.recordFailure('admin');
    for (let i = 0; i < 999; i += 1) throttle.recordFailure(`guess-${i}`);
    expect(throttle.tracked).toBe(1000);
    expect(throttle.retryAfterSeconds('admin')).toBe(60);
    throttle.recordFailure('one-more');
    expect(throttle.tracked).toBe(1000);
    expect(throttle.retryAfterSeconds('admin')).toBe(0);
  });

  it('bounds each remembered id: ids longer than any registered one share their 129-character prefix', () => {
    const clock = { now: 0 };
    const throttle = throttleAt(clock);
    const long = 'x'.repeat(10_000);
    for (let i = 0; i < 3; i += 1) throttle.recordFailure(`${long}${i}`);
    expect(throttle.tracked).toBe(1);
    expect(throttle.retryAfterSeconds(`${long}other`)).toBe(60);
  });
});
