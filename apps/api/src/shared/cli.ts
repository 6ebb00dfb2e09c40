// The one shape of every command of the three apps: one JSON line (stdout on success, stderr on failure),
// exit 0 / 1 / 2 (success / failure / bad configuration), and no credential in any line it prints.
import { ConfigError } from './settings.js';

export const EXIT_CODES = { ok: 0, failed: 1, config: 2 } as const;

const REDACTED = '[redacted]';

/** Remembers every credential a run has seen, so that no line it prints contains one. */
export class Redactor {
  private readonly secrets = new Set<string>();

  /** Values shorter than 4 characters are not worth hiding and would mangle every line. */
  add(secret: string | undefined): void {
    if (secret !== undefined && secret.length >= 4) this.secrets.add(secret);
  }

  redact(text: string): string {
    let result = text;
    for (const secret of this.secrets) {
      result = result.split(secret).join(REDACTED);
      // JSON.stringify escapes quotes and backslashes: hide that spelling too.
      const escaped = JSON.stringify(secret).slice(1, -1);
      if (escaped !== secret) result = result.split(escaped).join(REDACTED);
    }
    return result;
  }
}

/** An error that knows its short machine-readable kind (e.g. `tls`, `auth`, `limit`). */
export interface KindedError extends Error {
  kind: string;
}

function kindOf(error: unknown): string {
  if (error instanceof ConfigError) return 'config';
  const kind = (error as Partial<KindedError> | undefined)?.kind;
  return typeof kind === 'string' ? kind : 'internal';
}

/** The failure line's fields for any thrown value; messages of unexpected errors say so. */
export function failureFields(error: unknown): Record<string, unknown> {
  const kind = kindOf(error);
  const message = error instanceof Error ? error.message : String(error);
  return {
    ok: false,
    kind,
    error: kind === 'internal' ? `unexpected error: ${message}` : message,
    ...(error instanceof ConfigError ? { problems: error.problems } : {}),
  };
}

export function exitCodeFor(error: unknown): number {
  return error instanceof ConfigError ? EXIT_CODES.config : EXIT_CODES.failed;
}

/** One output line: the command, its context and its fields as JSON, every known credential redacted. */
export function outputLine(
  command: string,
  fields: object,
  redactor: Redactor,
  context: Record<string, unknown> = {},
): string {
  return `${redactor.redact(JSON.stringify({ command, ...context, ...fields }))}\n`;
}

/** A long-running process's start-up failure: the failure line on stderr and the exit code. */
export function reportStartupFailure(command: string, error: unknown, redactor: Redactor): void {
  process.stderr.write(outputLine(command, failureFields(error), redactor));
  process.exitCode = exitCodeFor(error);
}

export interface CliOptions {
  /** Fields every line carries (e.g. the run id), computed when the line is written. */
  context?: () => Record<string, unknown>;
  stdout?: (line: string) => void;
  stderr?: (line: string) => void;
}

/**
 * Runs `main` as the process's one command. `main` returns its result line (`ok` false makes the exit
 * code 1); a thrown error becomes the failure line. Unhandled rejections end the run the same way.
 */
export async function runCli(
  command: string,
  main: (redactor: Redactor) => Promise<{ ok: boolean }>,
  options: CliOptions = {},
): Promise<void> {
  const redactor = new Redactor();
  const out = options.stdout ?? ((line: string) => process.stdout.write(line));
  const err = options.stderr ?? ((line: string) => process.stderr.write(line));
  let finished = false;
  const line = (fields: Record<string, unknown>) =>
    outputLine(command, fields, redactor, options.context?.());
  const fail = (error: unknown): void => {
    if (finished) return;
    finished = true;
    err(line(failureFields(error)));
    process.exitCode = exitCodeFor(error);
  };
  process.on('unhandledRejection', fail);
  process.on('uncaughtException', fail);
  try {
    const result = await main(redactor);
    if (finished) return;
    finished = true;
    out(line(result));
    process.exitCode = result.ok ? EXIT_CODES.ok : EXIT_CODES.failed;
  } catch (error) {
    fail(error);
  } finally {
    process.off('unhandledRejection', fail);
    process.off('uncaughtException', fail);
  }
}
