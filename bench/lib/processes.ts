// Child processes measured whole: the reconciler against the end-mode API, and the offline tools.
import { spawn } from 'node:child_process';
import { REPO_ROOT } from './servers.js';

export interface ProcessRun {
  code: number | null;
  seconds: number;
  /** Peak RSS of the child and its descendants, MiB (GNU time's %M). */
  peakRssMiB: number;
  /** User + system CPU seconds of the child (GNU time's %U + %S). */
  cpuSeconds: number;
  stdout: string;
  stderr: string;
}

/** Runs `node <args>` under /usr/bin/time, which reports the peak RSS the kernel saw. */
export function timedNode(args: string[], env: Record<string, string>): Promise<ProcessRun> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn('/usr/bin/time', ['-f', '__time__ %M %U %S', process.execPath, ...args], {
      cwd: REPO_ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const match = /__time__ (\d+) ([\d.]+) ([\d.]+)\s*$/.exec(stderr);
      resolve({
        code,
        seconds: (performance.now() - started) / 1000,
        peakRssMiB: match ? Number(match[1]) / 1024 : Number.NaN,
        cpuSeconds: match ? Number(match[2]) + Number(match[3]) : Number.NaN,
        stdout,
        stderr: stderr.replace(/__time__ [\d. ]+$/, ''),
      });
    });
  });
}
