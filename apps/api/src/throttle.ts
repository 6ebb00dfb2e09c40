// Failed client authentications per client id at the token endpoint: a fixed window, memory capped.

export interface FailureThrottleOptions {
  /** Failures within one window after which the client id is refused until the window ends. */
  limit: number;
  windowMs: number;
  /** Client ids tracked at once; the least recently failed one is forgotten first. */
  maxTracked: number;
  now?: () => number;
}

interface FailureWindow {
  failures: number;
  startedAt: number;
}

// Registered ids are at most 128 characters: longer ones can never match, so their tail is not kept.
const MAX_KEY_LENGTH = 129;

/**
 * Keyed by the client id as presented, whether or not it is registered: unknown ids and wrong secrets
 * take the same path (no oracle for which ids exist). To reset one id's window by eviction, an
 * attacker must fail with `maxTracked` other ids first.
 */
export class FailureThrottle {
  private readonly windows = new Map<string, FailureWindow>();
  private readonly now: () => number;

  constructor(private readonly options: FailureThrottleOptions) {
    this.now = options.now ?? Date.now;
  }

  /** Whole seconds until `clientId` may try again; 0 when it may try now. */
  retryAfterSeconds(clientId: string): number {
    const window = this.current(clientId.slice(0, MAX_KEY_LENGTH));
    if (window === undefined || window.failures < this.options.limit) return 0;
    return Math.max(1, Math.ceil((window.startedAt + this.options.windowMs - this.now()) / 1000));
  }

  recordFailure(clientId: string): void {
    const key = clientId.slice(0, MAX_KEY_LENGTH);
    const window = this.current(key) ?? { failures: 0, startedAt: this.now() };
    window.failures += 1;
    // Re-inserted last: the map's order is least recently failed first.
    this.windows.delete(key);
    this.windows.set(key, window);
    if (this.windows.size > this.options.maxTracked) {
      const oldest = this.windows.keys().next().value;
      if (oldest !== undefined) this.windows.delete(oldest);
    }
  }

  recordSuccess(clientId: string): void {
    this.windows.delete(clientId.slice(0, MAX_KEY_LENGTH));
  }

  get tracked(): number {
    return this.windows.size;
  }

  private current(key: string): FailureWindow | undefined {
    const window = this.windows.get(key);
    if (window !== undefined && this.now() - window.startedAt >= this.options.windowMs) {
      this.windows.delete(key);
      return undefined;
    }
    return window;
  }
}
