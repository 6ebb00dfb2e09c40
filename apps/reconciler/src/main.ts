// Entry point: one reconciliation, one JSON line, exit 0 on success, 1 on a failure, 2 on bad settings.
import { randomUUID } from 'node:crypto';
import { runCli } from '../../api/src/shared/cli.js';
import { loadConfig } from './config.js';
import { runReconciliation } from './run.js';

const runId = randomUUID();
const started = Date.now();

await runCli(
  'reconcile',
  async (redactor) => {
    const config = loadConfig(process.env);
    // Defence in depth: whatever an error says, no credential seen in this run is printed.
    return runReconciliation(config, { runId, now: Date.now, onSecret: (secret) => redactor.add(secret) });
  },
  {
    context: () => ({ runId, startedAt: new Date(started).toISOString(), durationMs: Date.now() - started }),
  },
);
