import { randomUUID } from 'node:crypto';
import { ConfigError, loadConfig } from './config.js';
import { ReconcilerError } from './errors.js';
import { runReconciliation } from './run.js';

// Entry point: one reconciliation, one JSON line, exit 0 on success and non-zero on any failure.
const runId = randomUUID();
const started = Date.now();
const secrets: string[] = [];

/** Defence in depth: whatever an error says, no credential seen in this run is printed. */
function redact(text: string): string {
  return secrets.reduce(
    (result, secret) => (secret.length >= 4 ? result.split(secret).join('[redacted]') : result),
    text,
  );
}

function fail(error: unknown): void {
  const known = error instanceof ReconcilerError;
  const line = {
    ok: false,
    runId,
    startedAt: new Date(started).toISOString(),
    durationMs: Date.now() - started,
    kind: known ? error.kind : 'internal',
    error: redact(
      known ? error.message : `unexpected error: ${error instanceof Error ? error.message : String(error)}`,
    ),
    ...(error instanceof ConfigError ? { problems: error.problems.map(redact) } : {}),
  };
  process.stderr.write(`${JSON.stringify(line)}\n`);
  process.exitCode = error instanceof ConfigError ? 2 : 1;
}

process.on('unhandledRejection', fail);
process.on('uncaughtException', fail);

try {
  const config = loadConfig(process.env);
  const report = await runReconciliation(config, {
    runId,
    now: Date.now,
    onSecret: (secret) => secrets.push(secret),
  });
  process.stdout.write(`${JSON.stringify(report)}\n`);
  process.exitCode = 0;
} catch (error) {
  fail(error);
}
