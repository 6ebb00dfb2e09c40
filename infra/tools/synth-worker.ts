// One synthesis per process: started by synthesize() with its options in the environment, answers over IPC.
import { runProgram } from '../testing/mocks';
import { loadStackConfig } from '../testing/stack-config';
import { deployStack } from '../stacks/program';
import { isBadInput, UsageError } from './model';
import { readStateFile } from './state-file';
import type { SynthOptions } from './synth';
import { synthResult } from './synth-result';

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
  process.send?.({ ok: false, error: oneLine(message), usage: isBadInput(error) }, () => process.exit(1));
  if (process.send === undefined) {
    console.error(message);
    process.exit(1);
  }
}

process.on('unhandledRejection', fail);
process.on('uncaughtException', fail);

async function main(): Promise<void> {
  const raw = process.env.SECURE_WORKSHOP_SYNTH_OPTIONS;
  if (raw === undefined || process.send === undefined)
    throw new UsageError('synth-worker is started by the offline tools, not by hand');
  const options = JSON.parse(raw) as SynthOptions;
  const stack = options.stackName ?? options.stack;
  const run = await runProgram({
    stack,
    config: loadStackConfig(options.stack, options),
    program: deployStack,
    generatorState: options.stateFile === undefined ? {} : readStateFile(options.stateFile),
  });
  for (const warning of run.warnings) console.error(warning);
  process.send({ ok: true, result: synthResult(stack, run) }, () => process.exit(0));
}

main().catch(fail);
