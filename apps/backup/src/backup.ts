// One backup run: a consistent snapshot is summarised and dumped, encrypted on the way to disk.
import { spawn } from 'node:child_process';
import { readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { libpqEnv } from '../../api/src/shared/libpq.js';
import { connect, summarizeTables, type DatabaseTarget } from './database.js';
import { encryptToFile, verifyManifest, type BackupManifest } from './envelope.js';
import { waitForExit } from './process.js';

const BACKUP_NAME = /^backup-\d{8}T\d{9}Z\.swbk$/;
/** How far a backup's time may lie ahead of this clock (two hosts' clocks differ a little). */
const CLOCK_SKEW_MS = 5 * 60 * 1000;

export function backupFileName(at: Date): string {
  return `backup-${at.toISOString().replace(/[-:.]/g, '')}.swbk`;
}

export interface TrustedBackup {
  name: string;
  createdAt: Date;
}

/**
 * What a backup directory holds, judged by each file's authenticated manifest; names only select the
 * candidates, they never order them (anyone who can write the directory can rename a file).
 */
export interface BackupInventory {
  /** Authenticated, newest first. */
  trusted: TrustedBackup[];
  /** Authenticated but dated in the future: never the newest, and pruned first. */
  futureDated: TrustedBackup[];
  /** Names that fail authentication with this key (tampered, foreign, or another key's): never used, never deleted. */
  unverified: string[];
}

export async function inventoryBackups(
  directory: string,
  key: Buffer,
  now = new Date(),
): Promise<BackupInventory> {
  const inventory: BackupInventory = { trusted: [], futureDated: [], unverified: [] };
  for (const name of (await readdir(directory)).filter((entry) => BACKUP_NAME.test(entry)).sort()) {
    let manifest: BackupManifest;
    try {
      manifest = await verifyManifest(join(directory, name), key);
    } catch {
      inventory.unverified.push(name);
      continue;
    }
    const backup = { name, createdAt: new Date(manifest.createdAt) };
    if (backup.createdAt.getTime() > now.getTime() + CLOCK_SKEW_MS) inventory.futureDated.push(backup);
    else inventory.trusted.push(backup);
  }
  inventory.trusted.sort(
    (a, b) => b.createdAt.getTime() - a.createdAt.getTime() || b.name.localeCompare(a.name),
  );
  return inventory;
}

export interface PruneResult {
  removed: string[];
  unverified: string[];
}

/** Keeps the `retention` newest authenticated backups and removes the other authenticated ones. */
export async function pruneBackups(
  directory: string,
  retention: number,
  key: Buffer,
  now = new Date(),
): Promise<PruneResult> {
  if (!Number.isInteger(retention) || retention < 1) throw new Error('retention must be a positive integer');
  const { trusted, futureDated, unverified } = await inventoryBackups(directory, key, now);
  const removed = [...trusted, ...futureDated].slice(retention).map((backup) => backup.name);
  for (const name of removed) await rm(join(directory, name), { force: true });
  return { removed, unverified };
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
  unverified: string[];
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
    const { removed, unverified } = await pruneBackups(options.directory, options.retention, options.key);
    return { file, bytes: (await stat(file)).size, tables: manifest.tables, removed, unverified };
  } catch (error) {
    await rm(partial, { force: true });
    throw error;
  } finally {
    await sql.end({ timeout: 5 });
  }
}
