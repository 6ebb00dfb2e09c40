// Child processes of the PostgreSQL client tools: exit status with the tail of stderr.
import type { ChildProcess } from 'node:child_process';

const STDERR_TAIL = 2000;

/** Resolves when the tool exits 0; rejects with its last stderr line otherwise. */
export function waitForExit(child: ChildProcess, tool: string): Promise<void> {
  let stderr = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-STDERR_TAIL);
  });
  return new Promise((resolve, reject) => {
    child.once('error', (error) => reject(new Error(`${tool} could not start: ${error.message}`)));
    child.once('close', (code, signal) => {
      if (code === 0) return resolve();
      const last = stderr.trim().split('\n').pop() ?? '';
      reject(new Error(`${tool} failed (${signal ?? `exit ${code}`}): ${last}`));
    });
  });
}
