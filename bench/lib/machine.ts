// The machine and versions a run happened on, for the report's header.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { postgresBinDir } from '../../test-support/postgres.js';
import { REPO_ROOT } from './servers.js';

export interface Machine {
  cpuModel: string;
  cores: number;
  memoryGiB: number;
  kernel: string;
  node: string;
  postgres: string;
  pgbench: string;
  autocannon: string;
}

function firstLine(binary: string): string {
  try {
    return execFileSync(binary, ['--version'], { encoding: 'utf8' }).trim().split('\n')[0] ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

export function describeMachine(): Machine {
  const packageJson = join(REPO_ROOT, 'node_modules', 'autocannon', 'package.json');
  return {
    cpuModel: cpus()[0]?.model ?? 'unknown',
    cores: availableParallelism(),
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    kernel: `Linux ${release()}`,
    node: process.version,
    postgres: firstLine(join(postgresBinDir(), 'postgres')),
    pgbench: firstLine(join(postgresBinDir(), 'pgbench')),
    autocannon: (JSON.parse(readFileSync(packageJson, 'utf8')) as { version: string }).version,
  };
}

/** The 1-minute load average: on a shared machine every figure is read against it. */
export function loadAverage(): number {
  return Math.round((loadavg()[0] ?? 0) * 100) / 100;
}
