// One bash for a step's commands, as an attendee's terminal: variables set by one line are there for
// the next. Each command's stdout and stderr come back together with its exit status.
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';

export interface CommandResult {
  output: string;
  status: number;
  /** The command did not finish in time; the session is gone. */
  timedOut: boolean;
}

export class ShellSession {
  private stdout = '';
  private stderr = '';
  private closed = false;
  private waiter: (() => void) | undefined;

  private constructor(
    private readonly child: ChildProcessWithoutNullStreams,
    private readonly dir: string | undefined,
  ) {
    child.stdout.on('data', (chunk: Buffer) => {
      this.stdout += chunk.toString();
      this.waiter?.();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      this.stderr += chunk.toString();
    });
    child.on('close', () => {
      this.closed = true;
      this.waiter?.();
    });
  }

  /** A bash in its own process group (so its background jobs end with it) in `cwd`, with `env` only. */
  static start(
    cwd: string,
    env: Record<string, string>,
    options: { removeOnClose?: boolean } = {},
  ): ShellSession {
    const child = spawn('bash', ['--noprofile', '--norc'], { cwd, env, detached: true, stdio: 'pipe' });
    return new ShellSession(child, options.removeOnClose ? cwd : undefined);
  }

  get alive(): boolean {
    return !this.closed;
  }

  /** Runs `command` (any shell, several lines) and waits for it; stdin is /dev/null. */
  async run(command: string, timeoutMs: number): Promise<CommandResult> {
    if (this.closed) return { output: 'the shell is gone', status: -1, timedOut: false };
    const marker = `__walk_${randomBytes(8).toString('hex')}__`;
    this.stdout = '';
    this.stderr = '';
    // Braces, not a subshell: assignments stay for the next command.
    this.child.stdin.write(`{\n${command}\n} </dev/null 2>&1; printf '\\n${marker} %s\\n' "$?"\n`);
    const done = new RegExp(`\\n?${marker} (\\d+)\\n`);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = done.exec(this.stdout);
      if (found) {
        const output = this.stdout.slice(0, found.index) + this.stderr;
        return { output, status: Number(found[1]), timedOut: false };
      }
      if (this.closed) return { output: this.stdout + this.stderr, status: -1, timedOut: false };
      const left = deadline - Date.now();
      if (left <= 0) {
        const output = this.stdout + this.stderr;
        this.kill();
        return { output, status: -1, timedOut: true };
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 1000));
        this.waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.waiter = undefined;
    }
  }

  /** Ends the shell and everything it started in the background (its port-forwards). */
  async close(): Promise<void> {
    if (!this.closed) {
      this.child.stdin.write('kill $(jobs -p) 2>/dev/null; exit 0\n');
      this.child.stdin.end();
      const ended = new Promise<void>((resolve) => this.child.once('close', () => resolve()));
      const timeout = new Promise<'late'>((resolve) => setTimeout(() => resolve('late'), 5000).unref());
      if ((await Promise.race([ended, timeout])) === 'late') this.kill();
    }
    if (this.dir !== undefined) rmSync(this.dir, { recursive: true, force: true });
  }

  private kill(): void {
    if (this.child.pid === undefined) return;
    try {
      process.kill(-this.child.pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
}
