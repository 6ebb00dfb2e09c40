import { UsageError } from './model';
import type { SynthOptions } from './synth';
import { synthesizeInProcess } from './synth-runtime';

// One synthesis per process: started by synthesize() with its options in the environment, answers over IPC.
/** One line: the first, joined with the next when the first only announces it ("failed with 1 error:"). */
function oneLine(message: string): string {
  const [first = '', ...rest] = message
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);
  return first.endsWith(':') && rest[0] !== undefined ? `${first} ${rest[0]}` : first;
}

function fail(error: unknown): void {
  const message = error instanceof Error ? error.message : String(error);
  process.send?.(
    {
      ok: false,
      error: oneLine(message),
      usage:
        error instanceof UsageError ||
        (error instanceof Error && /Controls|Settings|Config/.test(error.name)),
    },
    () => process.exit(1),
  );
  if (process.send === undefined) {
    console.error(message);
    process.exit(1);
  }
}

process.on('unhandledRejection', fail);
process.on('uncaughtException', fail);

async function main(): Promise<void> {
  const raw = process.env.SECURE_WORKSHOP_SYNTH_OPTIONS;
  if (raw === undefined) throw new UsageError('synth-worker is started by the offline tools, not by hand');
  const result = await synthesizeInProcess(JSON.parse(raw) as SynthOptions);
  if (process.send === undefined) {
    process.stdout.write(`${JSON.stringify(result)}\n`);
    return;
  }
  process.send({ ok: true, result }, () => process.exit(0));
}

main().catch(fail);
