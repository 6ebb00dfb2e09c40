// A container's process on this machine: started as the container's user and groups (setpriv), its
// output kept (what `kubectl logs` would show) in memory and in a 0600 file, stopped by signal.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { createWriteStream, readFileSync, readdirSync, type WriteStream } from 'node:fs';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface Identity {
  uid: number;
  gid: number;
  groups: number[];
  noNewPrivileges?: boolean;
}

export interface ProcessSpec {
  /** `<pod>/<container>`, for messages. */
  name: string;
  argv: string[];
  env: Record<string, string>;
  cwd: string;
  identity: Identity | undefined;
  logFile: string;
}

/** setpriv's prefix for running as `identity` (nothing when it is root, which we are). */
export function asIdentity(identity: Identity | undefined): string[] {
  if (identity === undefined || identity.uid === 0) return [];
  return [
    'setpriv',
    `--reuid=${identity.uid}`,
    `--regid=${identity.gid}`,
    identity.groups.length > 0 ? `--groups=${identity.groups.join(',')}` : '--clear-groups',
    ...(identity.noNewPrivileges ? ['--no-new-privs'] : []),
    '--',
  ];
}

const KEPT_OUTPUT = 4 * 1024 * 1024;

/** The processes whose process group is `pgid` (from /proc). */
function groupMembers(pgid: number | undefined): number[] {
  if (pgid === undefined) return [];
  const members: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // pid (comm) state ppid pgrp ...: comm may hold spaces and parentheses.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[2]) === pgid) members.push(Number(entry));
    } catch {
      // Exited while we looked.
    }
  }
  return members;
}

export class ContainerProcess {
  private buffer = '';
  private readonly log: WriteStream;
  readonly exited: Promise<number | null>;
  private exitCode: number | null | undefined;

  private constructor(
    readonly spec: ProcessSpec,
    private readonly child: ChildProcess,
  ) {
    this.log = createWriteStream(spec.logFile, { flags: 'a', mode: 0o600 });
    const keep = (chunk: Buffer) => {
      this.buffer = (this.buffer + chunk.toString()).slice(-KEPT_OUTPUT);
      this.log.write(chunk);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    this.exited = new Promise((resolve) => {
      child.on('error', (error) => {
        keep(Buffer.from(`cannot start ${spec.argv[0] ?? ''}: ${error.message}\n`));
        this.exitCode = 127;
        resolve(127);
      });
      // 'exit', not 'close': a child the process left behind may hold its output open.
      child.on('exit', (code, signal) => {
        this.exitCode = code ?? (signal ? 128 : null);
        resolve(this.exitCode);
      });
      child.on('close', () => this.log.end());
    });
  }

  static start(spec: ProcessSpec): ContainerProcess {
    debug(`start ${spec.name}: ${spec.argv.join(' ')}`);
    const [program, ...args] = [...asIdentity(spec.identity), ...spec.argv];
    // A process group of its own, like a container: stopping it stops everything it started.
    const child = spawn(program as string, args, {
      cwd: spec.cwd,
      env: spec.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    return new ContainerProcess(spec, child);
  }

  get output(): string {
    return this.buffer;
  }

  get running(): boolean {
    return this.exitCode === undefined;
  }

  /** Signal, then SIGKILL after `graceMs`, as the kubelet stops a container; the whole group either way. */
  async stop(signal: NodeJS.Signals = 'SIGTERM', graceMs = 10_000): Promise<void> {
    if (this.running) {
      this.signalGroup(signal);
      const late = setTimeout(() => this.signalGroup('SIGKILL'), graceMs);
      await this.exited;
      clearTimeout(late);
    }
    // Whatever it left behind in its group goes too (the roles script's `sleep`): a group id is not
    // given to anyone else while a member lives, so these are ours.
    for (const pid of groupMembers(this.child.pid)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Gone meanwhile.
      }
    }
  }

  private signalGroup(signal: NodeJS.Signals): void {
    if (this.child.pid === undefined || !this.running) return;
    try {
      process.kill(-this.child.pid, signal);
    } catch {
      // The group is gone.
    }
  }
}

/** Runs a short command as `identity`; resolves with its exit status and output. */
export async function runAs(
  identity: Identity | undefined,
  argv: readonly string[],
  options: { env: Record<string, string>; cwd: string; timeoutMs?: number },
): Promise<{ status: number; output: string }> {
  const [program, ...args] = [...asIdentity(identity), ...argv];
  try {
    const { stdout, stderr } = await run(program as string, args, {
      env: options.env,
      cwd: options.cwd,
      timeout: options.timeoutMs ?? 60_000,
      maxBuffer: 16 * 1024 * 1024,
    });
    return { status: 0, output: stdout + stderr };
  } catch (error) {
    const failure = error as { code?: number | string; stdout?: string; stderr?: string; message: string };
    const status = typeof failure.code === 'number' ? failure.code : 127;
    return { status, output: `${failure.stdout ?? ''}${failure.stderr ?? ''}` || failure.message };
  }
}

const DEBUG = process.env.SECURE_WORKSHOP_WALK_DEBUG === '1';
const began = Date.now();

/** With SECURE_WORKSHOP_WALK_DEBUG=1, a timestamped line on stderr (never with values). */
export function debug(text: string): void {
  if (DEBUG) process.stderr.write(`[walk +${((Date.now() - began) / 1000).toFixed(1)}s] ${text}\n`);
}

export async function waitFor(
  what: string,
  check: () => Promise<boolean>,
  options: { timeoutMs: number; intervalMs?: number; abort?: () => string | undefined },
): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  debug(`waiting: ${what}`);
  for (;;) {
    if (await check()) {
      debug(`done: ${what}`);
      return;
    }
    const aborted = options.abort?.();
    if (aborted !== undefined) throw new Error(`${what}: ${aborted}`);
    if (Date.now() > deadline)
      throw new Error(`${what}: not within ${Math.round(options.timeoutMs / 1000)} s`);
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 200));
  }
}
