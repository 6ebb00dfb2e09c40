// Restore check: the newest backup is authenticated, restored into a scratch database and compared.
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { libpqEnv } from '../../api/src/shared/libpq.js';
import { binary, inventoryBackups } from './backup.js';
import {
  assertIdentifier,
  connect,
  summarizeTables,
  type DatabaseTarget,
  type TableSummary,
} from './database.js';
import { decryptToFile, type BackupManifest } from './envelope.js';
import { waitForExit } from './process.js';

const PROTECTED_DATABASES = new Set(['postgres', 'template0', 'template1']);

export interface RestoreCheckOptions {
  /** The live database's server; its database name is only used for the maintenance connection. */
  target: DatabaseTarget;
  scratchDatabase: string;
  key: Buffer;
  directory: string;
  binDir?: string;
  tmpDir?: string;
  /** The newest backup must be younger than this, by its authenticated manifest. */
  maxAgeSeconds: number;
  now?: Date;
}

export interface TableComparison {
  table: string;
  expected: TableSummary;
  restored: TableSummary | undefined;
  match: boolean;
}

export interface RestoreCheckResult {
  ok: boolean;
  file: string;
  createdAt: string;
  tables: TableComparison[];
  /** Set when the newest backup is older than allowed: the check fails even if it restores. */
  stale?: { ageSeconds: number; maxAgeSeconds: number };
  /** Backup-named files that failed authentication and were ignored. */
  unverified: string[];
}

export function compareTables(
  expected: BackupManifest['tables'],
  restored: Record<string, TableSummary>,
): TableComparison[] {
  return Object.entries(expected).map(([table, summary]) => {
    const got = restored[table];
    const match = got !== undefined && got.rows === summary.rows && got.checksum === summary.checksum;
    return { table, expected: summary, restored: got, match };
  });
}

export async function restoreCheck(options: RestoreCheckOptions): Promise<RestoreCheckResult> {
  const scratch = assertIdentifier(options.scratchDatabase);
  // The scratch database is dropped and recreated: never let it name something that matters.
  if (scratch === options.target.database || PROTECTED_DATABASES.has(scratch)) {
    throw new Error(`refusing to use ${scratch} as the scratch database: it is dropped and recreated`);
  }
  const now = options.now ?? new Date();
  const { trusted, unverified } = await inventoryBackups(options.directory, options.key, now);
  const [newest] = trusted;
  if (!newest) {
    throw new Error(
      unverified.length === 0
        ? `no backup in ${options.directory}`
        : `no authenticated backup in ${options.directory}: ${unverified.length} failed authentication (wrong key or tampered files)`,
    );
  }
  const file = join(options.directory, newest.name);
  const ageSeconds = Math.floor((now.getTime() - newest.createdAt.getTime()) / 1000);
  const stale =
    ageSeconds > options.maxAgeSeconds ? { ageSeconds, maxAgeSeconds: options.maxAgeSeconds } : undefined;
  const work = await mkdtemp(join(options.tmpDir ?? tmpdir(), 'restore-'));
  try {
    const plain = join(work, 'dump');
    // Authenticate the whole file before the database is touched at all.
    const manifest = await decryptToFile(file, options.key, plain);
    const admin = connect(options.target);
    try {
      await admin.unsafe(`drop database if exists ${scratch} with (force)`);
      await admin.unsafe(`create database ${scratch}`);
    } finally {
      await admin.end({ timeout: 5 });
    }
    const scratchTarget = { ...options.target, database: scratch };
    const restore = spawn(
      binary(options.binDir, 'pg_restore'),
      [
        '--no-owner',
        '--no-privileges',
        '--exit-on-error',
        '--single-transaction',
        `--dbname=${scratch}`,
        plain,
      ],
      { env: { ...process.env, ...libpqEnv(scratchTarget) }, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    await waitForExit(restore, 'pg_restore');
    const sql = connect(scratchTarget);
    let restored: Record<string, TableSummary>;
    try {
      restored = await summarizeTables(sql, Object.keys(manifest.tables));
    } finally {
      await sql.end({ timeout: 5 });
    }
    const tables = compareTables(manifest.tables, restored);
    return {
      ok: stale === undefined && tables.every((table) => table.match),
      file,
      createdAt: manifest.createdAt,
      tables,
      ...(stale ? { stale } : {}),
      unverified,
    };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
