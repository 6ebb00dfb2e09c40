// The servers under load run in child processes, so the load generator never shares their event loop.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '../../test-support/postgres.js';

export const REPO_ROOT = join(import.meta.dirname, '..', '..');
const CLOCK_TICKS_PER_SECOND = 100;

export interface ServerProcess {
  name: string;
  url: string;
  pid: number;
  /** User + system CPU seconds this process has used so far (Linux /proc). */
  cpuSeconds(): number;
  /** Resident set size now, MiB. */
  rssMiB(): number;
  stop(): Promise<void>;
}

function procStat(pid: number): string[] {
  const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name, which may itself contain spaces and parentheses.
  return text.slice(text.lastIndexOf(')') + 2).split(' ');
}

async function waitForPort(port: number, child: ChildProcess, stderr: () => string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}: ${stderr().trim()}`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect({ host: '127.0.0.1', port });
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    await sleep(100);
  }
  throw new Error(`server did not listen on ${port} within 60 s: ${stderr().trim()}`);
}

/** Starts `node <args>` with `env` (plus PATH), logs to /dev/null, and waits until PORT accepts. */
export async function startServer(
  name: string,
  args: string[],
  env: Record<string, string>,
  options: { https: boolean; cwd?: string },
): Promise<ServerProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, args, {
    cwd: options.cwd ?? REPO_ROOT,
    env: { PATH: process.env.PATH ?? '', NODE_ENV: 'production', ...env, PORT: String(port) },
    // Request logs are part of the cost of each stack, but nobody reads them here.
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error(`${name}: could not spawn node`);
  try {
    await waitForPort(port, child, () => stderr);
  } catch (error) {
    child.kill('SIGKILL');
    throw new Error(`${name}: ${(error as Error).message}`, { cause: error });
  }
  return {
    name,
    url: `${options.https ? 'https' : 'http'}://127.0.0.1:${port}`,
    pid,
    cpuSeconds() {
      const fields = procStat(pid);
      return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
    },
    rssMiB() {
      const pages = Number(readFileSync(`/proc/${pid}/statm`, 'utf8').split(' ')[1]);
      return (pages * 4096) / 2 ** 20;
    },
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** The API's own process entry (apps/api/src/server.ts), as its image runs it. */
export function startApiServer(
  name: string,
  env: Record<string, string>,
  nodeArgs: string[] = [],
): Promise<ServerProcess> {
  return startServer(
    name,
    [...nodeArgs, '--import', 'tsx', 'apps/api/src/server.ts'],
    { METRICS_PORT: '0', ...env },
    { https: env.TLS_CERT_DIR !== undefined },
  );
}
