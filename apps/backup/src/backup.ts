// One backup run: a consistent snapshot is summarised and dumped, encrypted on the way to disk.
import { spawn } from 'node:child_process';
import { readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { connect, libpqEnv, summarizeTables, type DatabaseTarget } from './database.js';
import { encryptToFile, type BackupManifest } from './envelope.js';
import { waitForExit } from './process.js';

const BACKUP_NAME = /^backup-\d{8}T\d{9}Z\.swbk$/;

export function backupFileName(at: Date): string {
  return `backup-${at.toISOString().replace(/[-:.]/g, '')}.swbk`;
}

/** Backups in `directory`, newest first (names sort by their UTC timestamp). */
export async function listBackups(directory: string): Promise<string[]> {
  const names = await readdir(directory);
  return names
    .filter((name) => BACKUP_NAME.test(name))
    .sort()
    .reverse();
}

/** Keeps the `retention` newest backups and removes the rest; returns the removed names. */
export async function pruneBackups(directory: string, retention: number): Promise<string[]> {
  if (!Number.isInteger(retention) || retention < 1) throw new Error('retention must be a positive integer');
  const stale = (await listBackups(directory)).slice(retention);
  for (const name of stale) await rm(join(directory, name), { force: true });
  return stale;
}

export function binary(binDir: string | undefined, name: string): string {
  return binDir ? join(binDir, name) : name;
}

export interface BackupOptions {
  target: DatabaseTarget;
  key: Buffer;
  directory: string;
  retention: number;
  tables: readonly string[];
  binDir?: string;
  now?: Date;
}

export interface BackupResult {
  file: string;
  bytes: number;
  tables: BackupManifest['tables'];
  removed: string[];
}

export async function runBackup(options: BackupOptions): Promise<BackupResult> {
  const createdAt = options.now ?? new Date();
  const name = backupFileName(createdAt);
  const partial = join(options.directory, `.${name}.partial`);
  const sql = connect(options.target);
  try {
    const manifest = await sql.begin('isolation level repeatable read read only', async (tx) => {
      // The exported snapshot makes pg_dump see exactly the rows the manifest summarises.
      const [row] = await tx<{ snapshot: string }[]>`select pg_export_snapshot() as snapshot`;
      if (!row) throw new Error('could not export a snapshot');
      const summary: BackupManifest = {
        createdAt: createdAt.toISOString(),
        database: options.target.database,
        tables: await summarizeTables(tx, options.tables),
      };
      const dump = spawn(
        binary(options.binDir, 'pg_dump'),
        ['--format=custom', '--no-owner', '--no-privileges', `--snapshot=${row.snapshot}`],
        { env: { ...process.env, ...libpqEnv(options.target) }, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      const exited = waitForExit(dump, 'pg_dump');
      try {
        await encryptToFile(dump.stdout, options.key, summary, partial);
      } finally {
        await exited;
      }
      return summary;
    });
    const file = join(options.directory, name);
    await rename(partial, file);
    const removed = await pruneBackups(options.directory, options.retention);
    return { file, bytes: (await stat(file)).size, tables: manifest.tables, removed };
  } catch (error) {
    await rm(partial, { force: true });
    throw error;
  } finally {
    await sql.end({ timeout: 5 });
  }
}
