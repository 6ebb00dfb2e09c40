// For tests: the offline tools as a person runs them, in their own process.
import { spawn } from 'node:child_process';
import * as path from 'node:path';

export interface CliRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

const REPO = path.resolve(__dirname, '..', '..');

/** Runs `cli.ts <args>` from the repository root (asynchronously, so several can run at once). */
export function runCli(args: readonly string[], env: Record<string, string> = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, 'cli.ts'), ...args], {
      cwd: REPO,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}
