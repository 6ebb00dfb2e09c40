// Settings from the environment, read once: every problem becomes one readable line naming the variable,
// and all of them are reported together. Shared by api, backup and reconciler (node built-ins only).
import { readFileSync } from 'node:fs';

export type Env = Record<string, string | undefined>;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration: ${problems.join('; ')}`);
    this.name = 'ConfigError';
  }
}

/** A reader over one environment that collects problems instead of throwing at the first one. */
export class Settings {
  readonly problems: string[] = [];

  constructor(
    readonly env: Env,
    private readonly readText: (path: string) => string = (path) => readFileSync(path, 'utf8'),
  ) {}

  /** Records a problem; returns undefined so a reader can `return settings.problem(...)`. */
  problem(line: string): undefined {
    this.problems.push(line);
    return undefined;
  }

  /** The trimmed value, or undefined when unset or blank. */
  text(name: string): string | undefined {
    const value = this.env[name];
    return value === undefined || value.trim() === '' ? undefined : value.trim();
  }

  required(name: string, hint: string): string | undefined {
    return this.text(name) ?? this.problem(`${name} is required (${hint})`);
  }

  integer(name: string, fallback: number, [min, max]: readonly [number, number]): number {
    const raw = this.text(name);
    if (raw === undefined) return fallback;
    const value = /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
    if (!Number.isSafeInteger(value) || value < min || value > max) {
      this.problem(`${name}=${raw} is not a whole number from ${min} to ${max}`);
      return fallback;
    }
    return value;
  }

  port(name: string, fallback: number): number {
    const raw = this.text(name);
    if (raw === undefined) return fallback;
    const port = /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
    if (!(port <= 65_535)) {
      this.problem(`${name}=${raw} is not a port number (0-65535)`);
      return fallback;
    }
    return port;
  }

  oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    const raw = this.text(name);
    if (raw === undefined) return fallback;
    if ((allowed as readonly string[]).includes(raw)) return raw as T;
    this.problem(`${name}=${raw} is not one of ${allowed.join(', ')}`);
    return fallback;
  }

  /** The content of the file a setting names; a problem (with the errno code) when it cannot be read. */
  file(name: string, path: string, what = 'file'): string | undefined {
    try {
      return this.readText(path);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
      return this.problem(`${name}: cannot read ${what} ${path} (${code})`);
    }
  }

  /** Throws one ConfigError listing every problem recorded so far; otherwise returns `value`. */
  done<T>(value: T): T {
    if (this.problems.length > 0) throw new ConfigError([...this.problems]);
    return value;
  }
}
