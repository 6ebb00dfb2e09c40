// Synthesis of a stack for the offline tools: the real program under the mock runtime
// (infra/testing/mocks.ts), in a process of its own.
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { checkStackName, loadStackConfig, REPO_ROOT } from '../testing/stack-config';
import { type SynthResult, UsageError } from './model';
import { readStateFile } from './state-file';

const SYNTH_TIMEOUT_MS = 300_000;

export interface SynthOptions {
  /** Stack name: picks `Pulumi.<stack>.yaml`. */
  stack: string;
  /** Replaces the stack's `secure-workshop:controls` (an ad-hoc step of the workshop), validated. */
  controls?: string[];
  /** The stack the program runs as (`pulumi.getStack()`, URNs, namespace); defaults to `stack`. */
  stackName?: string;
  /** A state file whose generated values are kept (see state-file.ts). */
  stateFile?: string;
}

interface WorkerMessage {
  ok: boolean;
  result?: SynthResult;
  error?: string;
  usage?: boolean;
}

/**
 * Synthesizes a stack in its own Node process: Pulumi's mock runtime keeps process-global state, so
 * two stacks (a diff) must never share one.
 */
export function synthesize(options: SynthOptions): Promise<SynthResult> {
  // Validate here so bad input fails before a process starts.
  loadStackConfig(options.stack, options);
  if (options.stackName !== undefined) checkStackName(options.stackName);
  if (options.stateFile !== undefined) readStateFile(options.stateFile);
  const worker = path.join(__dirname, 'synth-worker.ts');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', worker], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      // A program that never settles (an output that is never resolved) must not hang CI.
      timeout: SYNTH_TIMEOUT_MS,
      env: { ...process.env, SECURE_WORKSHOP_SYNTH_OPTIONS: JSON.stringify(options) },
    });
    let stderr = '';
    let message: WorkerMessage | undefined;
    child.stdout?.on('data', (chunk: Buffer) => process.stderr.write(chunk));
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('message', (received) => {
      message = received as WorkerMessage;
    });
    child.on('error', (error) => reject(new Error(`cannot start the synthesis worker: ${error.message}`)));
    child.on('close', (code, signal) => {
      if (message?.ok === true && message.result !== undefined) {
        if (stderr.trim() !== '') process.stderr.write(stderr);
        resolve(message.result);
        return;
      }
      const reason =
        message?.error ??
        (signal === 'SIGTERM'
          ? `no answer within ${SYNTH_TIMEOUT_MS / 1000} s`
          : stderr.trim().split('\n').pop() || `worker exited with code ${code}`);
      const error = `synthesis of stack '${options.stack}' failed: ${reason}`;
      reject(message?.usage === true ? new UsageError(error) : new Error(error));
    });
  });
}
