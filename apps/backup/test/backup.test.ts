import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFile, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCertificateAuthority, issueCertificate } from '../../../test-support/pki.js';
import { postgresBinDir, startPostgres, type PostgresServer } from '../../../test-support/postgres.js';
import { backupFileName, inventoryBackups, runBackup } from '../src/backup.js';
import { loadConfig } from '../src/config.js';
import { connect, databaseTarget, summarizeTable, type DatabaseTarget } from '../src/database.js';
import { compareTables, restoreCheck } from '../src/restore.js';
import { migrate, seed } from '../../api/src/db/migrate.js';

const run = promisify(execFile);
const USERS = 77;
const TRANSACTIONS = 1500;
const DAY = 24 * 3600;

let server: PostgresServer;
let target: DatabaseTarget;
let directory: string;
let knownEmail = '';
const key = randomBytes(32);
const binDir = postgresBinDir();

beforeAll(async () => {
  const ca = await createCertificateAuthority('backup test CA');
  const cert = await issueCertificate(ca, {
    commonName: '127.0.0.1',
    ipAddresses: ['127.0.0.1'],
    usage: 'server',
  });
  server = await startPostgres({ tls: { cert: cert.cert, key: cert.key, ca: ca.cert }, requireTls: true });
  const admin = connect(databaseTarget(server.env));
  await admin.unsafe('create database bank');
  await admin.end();
  target = databaseTarget({ ...server.env, PGDATABASE: 'bank' });
  const sql = connect(target);
  // The API's own schema and deterministic seed: the data the job backs up in the cluster.
  await migrate(sql);
  await seed(sql, { users: USERS, transactions: TRANSACTIONS });
  const [first] = await sql<{ email: string }[]>`select email from users order by id limit 1`;
  knownEmail = first?.email ?? 'missing';
  await sql.end();
  directory = await mkdtemp(join(tmpdir(), 'backups-'));
});

afterAll(async () => {
  await server?.stop();
  if (directory) await rm(directory, { recursive: true, force: true });
});

async function scratchState(): Promise<string[]> {
  const sql = connect({ ...target, database: 'restore_check' });
  try {
    const rows = await sql<
      { name: string }[]
    >`select tablename as name from pg_tables where schemaname = 'public' order by 1`;
    return rows.map((row) => row.name);
  } finally {
    await sql.end();
  }
}

describe('encrypted backups against a real PostgreSQL over verify-full TLS', () => {
  it('dumps, encrypts and round-trips with matching counts and checksums', async () => {
    const result = await runBackup({
      target,
      key,
      directory,
      retention: 3,
      tables: ['users', 'transactions'],
      binDir,
    });
    expect(result.tables.users?.rows).toBe(USERS);
    expect(result.tables.transactions?.rows).toBe(TRANSACTIONS);
    expect(result.tables.users?.checksum).toMatch(/^[0-9a-f]{64}$/);
    const bytes = await readFile(result.file);
    expect(bytes.includes(Buffer.from(knownEmail))).toBe(false);
    expect(bytes.includes(Buffer.from('PGDMP'))).toBe(false);

    const check = await restoreCheck({
      target,
      scratchDatabase: 'restore_check',
      key,
      directory,
      binDir,
      maxAgeSeconds: DAY,
    });
    expect(check.ok).toBe(true);
    expect(check.file).toBe(result.file);
    expect(check.tables.map((t) => [t.table, t.restored?.rows, t.match])).toEqual([
      ['users', USERS, true],
      ['transactions', TRANSACTIONS, true],
    ]);
    expect(await scratchState()).toEqual(['schema_migrations', 'transactions', 'users']);
  });

  it('checks the restore against the snapshot that was dumped, and flags a differing table', async () => {
    const backup = await runBackup({
      target,
      key,
      directory,
      retention: 3,
      tables: ['users', 'transactions'],
      binDir,
    });
    // Writes after the dump must not make the check fail: the manifest belongs to the dump.
    const sql = connect(target);
    await sql`update users set num_logins = num_logins + 1 where id = 1`;
    const live = await summarizeTable(sql, 'users');
    await sql.end();
    const check = await restoreCheck({
      target,
      scratchDatabase: 'restore_check',
      key,
      directory,
      binDir,
      maxAgeSeconds: DAY,
    });
    expect(check.ok).toBe(true);
    expect(check.tables[0]?.restored).toEqual(backup.tables.users);
    expect(live.checksum).not.toBe(backup.tables.users?.checksum);
    const compared = compareTables({ users: backup.tables.users! }, { users: live });
    expect(compared[0]?.match).toBe(false);
  });

  it('refuses a backup with one tampered byte and leaves the scratch database untouched', async () => {
    const sql = connect({ ...target, database: 'restore_check' });
    await sql.unsafe('create table marker (id int)');
    await sql.end();
    const before = await scratchState();
    const [newest] = (await inventoryBackups(directory, key)).trusted;
    const file = join(directory, newest?.name ?? 'missing');
    const bytes = await readFile(file);
    const at = Math.floor(bytes.length * 0.6);
    bytes[at] = (bytes[at] ?? 0) ^ 0x80;
    await writeFile(file, bytes);
    await expect(
      restoreCheck({ target, scratchDatabase: 'restore_check', key, directory, binDir, maxAgeSeconds: DAY }),
    ).rejects.toThrow(/failed authentication/);
    expect(await scratchState()).toEqual(before);
    expect(before).toContain('marker');
    await rm(file);
  });

  it('refuses the wrong key without touching the scratch database', async () => {
    const before = await scratchState();
    await expect(
      restoreCheck({
        target,
        scratchDatabase: 'restore_check',
        key: randomBytes(32),
        directory,
        binDir,
        maxAgeSeconds: DAY,
      }),
    ).rejects.toThrow(/wrong key or tampered/);
    expect(await scratchState()).toEqual(before);
  });

  it('keeps only the N newest backups', async () => {
    const own = await mkdtemp(join(tmpdir(), 'retention-'));
    try {
      const times = [1, 2, 3, 4].map((day) => new Date(Date.UTC(2026, 0, day, 3)));
      const removed: string[][] = [];
      for (const now of times) {
        const result = await runBackup({
          target,
          key,
          directory: own,
          retention: 2,
          tables: ['users'],
          binDir,
          now,
        });
        removed.push(result.removed);
      }
      expect(await readdir(own)).toEqual([backupFileName(times[2]!), backupFileName(times[3]!)]);
      expect(removed.flat()).toEqual([backupFileName(times[0]!), backupFileName(times[1]!)]);
    } finally {
      await rm(own, { recursive: true, force: true });
    }
  });

  const HOUR = 3600 * 1000;
  const backupAt = (dir: string, now: Date, retention = 5) =>
    runBackup({ target, key, directory: dir, retention, tables: ['users'], binDir, now });
  const checkIn = (dir: string, maxAgeSeconds = 26 * 3600) =>
    restoreCheck({ target, scratchDatabase: 'restore_check', key, directory: dir, binDir, maxAgeSeconds });
  async function inOwnDirectory(work: (dir: string) => Promise<void>): Promise<void> {
    const dir = await mkdtemp(join(tmpdir(), 'tampered-'));
    try {
      await work(dir);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  it('fails the check when the newest authenticated backup is stale, even copied under a fresh name', async () => {
    await inOwnDirectory(async (dir) => {
      const old = await backupAt(dir, new Date(Date.now() - 72 * HOUR));
      await copyFile(old.file, join(dir, backupFileName(new Date())));
      const check = await checkIn(dir);
      expect(check.ok).toBe(false);
      expect(check.createdAt).toBe(new Date(Date.parse(check.createdAt)).toISOString());
      expect(Date.now() - Date.parse(check.createdAt)).toBeGreaterThan(71 * HOUR);
      expect(check.stale).toMatchObject({ maxAgeSeconds: 26 * 3600 });
      expect(check.stale?.ageSeconds).toBeGreaterThan(71 * 3600);
      // The restore itself still worked: staleness alone fails the check.
      expect(check.tables.every((table) => table.match)).toBe(true);
    });
  });

  it('orders by the authenticated manifest: an old backup renamed into the future is neither newest nor kept', async () => {
    await inOwnDirectory(async (dir) => {
      const old = await backupAt(dir, new Date(Date.now() - 120 * HOUR));
      const recent = await backupAt(dir, new Date(Date.now() - 2 * HOUR));
      const renamed = join(dir, 'backup-20991231T000000000Z.swbk');
      await copyFile(old.file, renamed);
      const check = await checkIn(dir);
      expect(check.file).toBe(recent.file);
      expect(check.ok).toBe(true);
      const next = await backupAt(dir, new Date(), 2);
      expect(next.removed.sort()).toEqual([basename(old.file), basename(renamed)].sort());
      expect((await readdir(dir)).sort()).toEqual([basename(recent.file), basename(next.file)].sort());
    });
  });

  it('never trusts a backup whose authenticated time is in the future, and prunes it first', async () => {
    await inOwnDirectory(async (dir) => {
      const future = await backupAt(dir, new Date(Date.now() + 365 * 24 * HOUR));
      const now = await backupAt(dir, new Date(Date.now() - HOUR));
      const check = await checkIn(dir);
      expect(check.file).toBe(now.file);
      expect(check.ok).toBe(true);
      const next = await backupAt(dir, new Date(), 2);
      expect(next.removed).toEqual([basename(future.file)]);
    });
  });

  it('reports files that do not authenticate, never picks them and never deletes them', async () => {
    await inOwnDirectory(async (dir) => {
      const genuine = await backupAt(dir, new Date(Date.now() - HOUR));
      // A genuine backup whose manifest was moved forward by hand, and a file that is no backup at all.
      const rewritten = join(dir, 'backup-20981231T000000000Z.swbk');
      const foreign = join(dir, 'backup-20991231T000000000Z.swbk');
      await writeFile(foreign, 'PGDMP plain dump');
      await writeFile(
        rewritten,
        (await readFile(genuine.file))
          .toString('latin1')
          .replace(/"createdAt":"[^"]+"/, '"createdAt":"2098-12-31T00:00:00.000Z"'),
        'latin1',
      );
      const check = await checkIn(dir);
      expect(check.file).toBe(genuine.file);
      expect(check.ok).toBe(true);
      expect(check.unverified.sort()).toEqual([basename(rewritten), basename(foreign)].sort());
      const next = await backupAt(dir, new Date(), 1);
      expect(next.removed).toEqual([basename(genuine.file)]);
      expect(next.unverified.sort()).toEqual([basename(rewritten), basename(foreign)].sort());
      expect((await readdir(dir)).sort()).toEqual(
        [basename(next.file), basename(rewritten), basename(foreign)].sort(),
      );
    });
  });

  it('never drops the live database or a system database as its scratch database', async () => {
    for (const scratchDatabase of ['bank', 'postgres', 'template1']) {
      await expect(
        restoreCheck({ target, scratchDatabase, key, directory, binDir, maxAgeSeconds: DAY }),
      ).rejects.toThrow(/refusing to use .* as the scratch database/);
    }
    const sql = connect(target);
    const [row] = await sql<{ n: string }[]>`select count(*)::text as n from users`;
    await sql.end();
    expect(Number(row?.n)).toBe(USERS);
  });

  it('refuses to connect without verify-full', () => {
    expect(() => databaseTarget({ ...server.env, PGSSLMODE: 'require' })).toThrow(/must be verify-full/);
    expect(() => databaseTarget({ ...server.env, PGSSLROOTCERT: undefined })).toThrow(
      /PGSSLMODE=verify-full needs PGSSLROOTCERT/,
    );
  });

  it('runs as a CLI with the password from PGPASSFILE: one JSON line, exit 0 / 1 / 2, no credential printed', async () => {
    const keyFile = join(directory, '..', `key-${process.pid}`);
    const passFile = join(directory, '..', `pgpass-${process.pid}`);
    await writeFile(keyFile, key.toString('base64'), { mode: 0o600 });
    // One line for the live database: the scratch database of the check is reached with the same role.
    const escaped = server.password.replaceAll('\\', '\\\\').replaceAll(':', '\\:');
    await writeFile(passFile, `127.0.0.1:${server.port}:bank:${server.user}:${escaped}\n`, { mode: 0o600 });
    try {
      const { PGPASSWORD: _fromEnv, ...withoutPassword } = server.env;
      const env = {
        PATH: process.env.PATH ?? '',
        ...withoutPassword,
        PGPASSFILE: passFile,
        PGDATABASE: 'bank',
        BACKUP_DIR: directory,
        BACKUP_KEY_FILE: keyFile,
        BACKUP_RETENTION: '3',
        PG_BIN_DIR: binDir,
      };
      expect(loadConfig(env)).toMatchObject({ retention: 3, maxAgeSeconds: 26 * 3600 });
      expect(loadConfig(env).target.password).toBe(server.password);
      expect(() => loadConfig({ ...env, BACKUP_MAX_AGE_HOURS: '0' })).toThrow(
        /BACKUP_MAX_AGE_HOURS=0 is not a whole number from 1 to 8784/,
      );
      const main = join(import.meta.dirname, '..', 'src', 'main.ts');
      const backup = await run('tsx', [main, 'backup'], { env });
      const line = JSON.parse(backup.stdout.trim()) as { ok: boolean; tables: { users: { rows: number } } };
      expect(line).toMatchObject({ ok: true, command: 'backup' });
      expect(line.tables.users.rows).toBe(USERS);
      const check = await run('tsx', [main, 'restore-check'], { env });
      expect(JSON.parse(check.stdout.trim())).toMatchObject({ ok: true, command: 'restore-check' });
      const misconfigured = await run('tsx', [main, 'backup'], {
        env: { ...env, PGPASSWORD: server.password, BACKUP_RETENTION: 'many' },
      }).then(
        () => {
          throw new Error('expected exit 2');
        },
        (error: unknown) => error as { code: number; stdout: string; stderr: string },
      );
      expect(misconfigured.code).toBe(2);
      expect(misconfigured.stdout).toBe('');
      expect(JSON.parse(misconfigured.stderr)).toMatchObject({
        ok: false,
        command: 'backup',
        kind: 'config',
        problems: ['BACKUP_RETENTION=many is not a whole number from 1 to 1000'],
      });
      for (const output of [backup.stdout, check.stdout, misconfigured.stderr]) {
        expect(output).not.toContain(server.password);
        expect(output).not.toContain(key.toString('base64'));
      }
    } finally {
      await rm(keyFile, { force: true });
      await rm(passFile, { force: true });
    }
  });
});
