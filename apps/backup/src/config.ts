// Job configuration from the environment, validated once: every problem is one line, all reported together.
import { Settings, type Env } from '../../api/src/shared/settings.js';
import { assertIdentifier, readDatabaseTarget, type DatabaseTarget } from './database.js';
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

function identifier(settings: Settings, name: string, value: string): string {
  try {
    return assertIdentifier(value);
  } catch (error) {
    settings.problem(`${name}: ${(error as Error).message}`);
    return value;
  }
}

function backupKey(settings: Settings): Buffer {
  const file = settings.required('BACKUP_KEY_FILE', 'the base64 key file, mounted from a Secret');
  const text = file === undefined ? undefined : settings.file('BACKUP_KEY_FILE', file, 'key file');
  if (text === undefined) return Buffer.alloc(0);
  try {
    return parseKey(text);
  } catch (error) {
    settings.problem(`BACKUP_KEY_FILE: ${(error as Error).message}`);
    return Buffer.alloc(0);
  }
}

export function loadConfig(env: Env): BackupConfig {
  const settings = new Settings(env);
  const directory = settings.required('BACKUP_DIR', 'where the encrypted backups are kept') ?? '';
  const key = backupKey(settings);
  const retention = settings.integer('BACKUP_RETENTION', 7, [1, 1000]);
  const maxAgeHours = settings.integer('BACKUP_MAX_AGE_HOURS', 26, [1, 24 * 366]);
  const tables = (settings.text('BACKUP_CHECK_TABLES') ?? 'users,transactions')
    .split(',')
    .map((table) => identifier(settings, 'BACKUP_CHECK_TABLES', table.trim()));
  const scratchDatabase = identifier(
    settings,
    'RESTORE_SCRATCH_DATABASE',
    settings.text('RESTORE_SCRATCH_DATABASE') ?? 'restore_check',
  );
  return settings.done({
    target: readDatabaseTarget(settings),
    key,
    directory,
    retention,
    maxAgeSeconds: maxAgeHours * 3600,
    tables,
    scratchDatabase,
    binDir: settings.text('PG_BIN_DIR'),
  });
}
