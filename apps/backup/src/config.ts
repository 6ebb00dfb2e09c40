// Job configuration from the environment, validated once with a readable message per problem.
import { readFileSync } from 'node:fs';
import { assertIdentifier, databaseTarget, type DatabaseTarget, type Env } from './database.js';
import { parseKey } from './envelope.js';

export interface BackupConfig {
  target: DatabaseTarget;
  key: Buffer;
  directory: string;
  retention: number;
  /** restore-check fails when the newest backup is older than this. */
  maxAgeSeconds: number;
  tables: string[];
  scratchDatabase: string;
  binDir: string | undefined;
}

export function loadConfig(env: Env): BackupConfig {
  const directory = env.BACKUP_DIR;
  if (!directory) throw new Error('BACKUP_DIR is required');
  const keyFile = env.BACKUP_KEY_FILE;
  if (!keyFile) throw new Error('BACKUP_KEY_FILE is required');
  const retention = Number(env.BACKUP_RETENTION ?? '7');
  if (!Number.isInteger(retention) || retention < 1) {
    throw new Error(`BACKUP_RETENTION must be a positive integer (got ${env.BACKUP_RETENTION})`);
  }
  const maxAgeHours = Number(env.BACKUP_MAX_AGE_HOURS ?? '26');
  if (!Number.isInteger(maxAgeHours) || maxAgeHours < 1 || maxAgeHours > 24 * 366) {
    throw new Error(
      `BACKUP_MAX_AGE_HOURS must be a whole number of hours from 1 to 8784 (got ${env.BACKUP_MAX_AGE_HOURS})`,
    );
  }
  const tables = (env.BACKUP_CHECK_TABLES ?? 'users,transactions')
    .split(',')
    .map((t) => assertIdentifier(t.trim()));
  return {
    target: databaseTarget(env),
    key: parseKey(readFileSync(keyFile, 'utf8')),
    directory,
    retention,
    maxAgeSeconds: maxAgeHours * 3600,
    tables,
    scratchDatabase: assertIdentifier(env.RESTORE_SCRATCH_DATABASE ?? 'restore_check'),
    binDir: env.PG_BIN_DIR || undefined,
  };
}
