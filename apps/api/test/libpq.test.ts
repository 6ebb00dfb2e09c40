// PGPASSFILE: the libpq password file format, checked against libpq itself (psql), its permission rule,
// and the API started with a password file instead of PGPASSWORD.
import { execFile } from 'node:child_process';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresBinDir } from '../../../test-support/postgres.js';
import { ConfigError, loadDbConfig, type Env } from '../src/config.js';
import { passfilePassword, passfilePermissionProblem, type PassfileKey } from '../src/shared/libpq.js';
import { startApi } from '../src/start.js';
import { LogCapture, request, startDatabase, type Database } from './helpers.js';

// Every character a password file must escape, plus one that only looks special.
const PASSWORD = 'pa:ss\\word*x';
const ESCAPED = 'pa\\:ss\\\\word*x';
const ROLE = 'passfile_user';

let db: Database;
let dir: string;
let key: PassfileKey;

beforeAll(async () => {
  [db, dir] = await Promise.all([startDatabase({ seed: false }), mkdtemp(join(tmpdir(), 'passfile-'))]);
  await db.sql.unsafe(`create role ${ROLE} login password '${PASSWORD}'`);
  key = { host: db.pg.host, port: String(db.pg.port), database: 'postgres', user: ROLE };
});

afterAll(async () => {
  await db?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

let files = 0;
async function passfile(text: string, mode = 0o600): Promise<string> {
  const path = join(dir, `pgpass-${(files += 1)}`);
  await writeFile(path, text);
  await chmod(path, mode);
  return path;
}

/** The connection, as libpq variables, with the password coming from `file` only. */
function env(file: string, extra: Env = {}): Env {
  return {
    PGHOST: key.host,
    PGPORT: key.port,
    PGDATABASE: key.database,
    PGUSER: key.user,
    PGSSLMODE: 'disable',
    PGPASSFILE: file,
    ...extra,
  };
}

async function libpqConnects(file: string): Promise<boolean> {
  const psql = join(postgresBinDir(), 'psql');
  try {
    await promisify(execFile)(psql, ['-X', '-w', '-tAc', 'select 1'], {
      env: { PATH: process.env.PATH ?? '', ...env(file) } as NodeJS.ProcessEnv,
    });
    return true;
  } catch {
    return false;
  }
}

describe('PGPASSFILE lines, judged by libpq itself', () => {
  const cases: [string, (port: string) => string][] = [
    ['exact host, port, database and user', (port) => `127.0.0.1:${port}:postgres:${ROLE}:${ESCAPED}\n`],
    ['wildcards in every field', () => `*:*:*:*:${ESCAPED}\n`],
    ['the first matching line wins', () => `*:*:*:*:wrong\n*:*:*:*:${ESCAPED}\n`],
    [
      'a line for another host is skipped',
      (port) => `localhost:${port}:*:*:wrong\n*:*:*:${ROLE}:${ESCAPED}\n`,
    ],
    ['comments, blank lines and CRLF', (port) => `# bank\n\n*:${port}:*:*:${ESCAPED}\r\n`],
    ['another port does not match', () => `*:1:*:*:${ESCAPED}\n`],
    ['an escaped star is a literal star', () => `\\*:*:*:*:${ESCAPED}\n`],
    [
      'an unescaped colon ends the password',
      (port) => `127.0.0.1:${port}:postgres:${ROLE}:${ESCAPED}:more\n`,
    ],
    [
      'an escaped ordinary character is itself',
      (port) => `127.0.0.1:${port}:postgres:passfile\\_user:${ESCAPED}\n`,
    ],
    ['a line without a password field', () => `*:*:*:*\n`],
    ['a wildcard only as a whole field', () => `1*:*:*:*:${ESCAPED}\n`],
  ];

  it.each(cases)('%s', async (_name, text) => {
    const file = await passfile(text(key.port));
    const ours = passfilePassword(text(key.port), key);
    expect(await libpqConnects(file)).toBe(ours === PASSWORD);
  });

  it('has cases where libpq connects and cases where it does not', async () => {
    const results = cases.map(([, text]) => passfilePassword(text(key.port), key) === PASSWORD);
    expect(results.filter(Boolean).length).toBeGreaterThanOrEqual(4);
    expect(results.filter((ok) => !ok).length).toBeGreaterThanOrEqual(4);
  });
});

describe('passfile permissions', () => {
  const stats = (mode: number, uid: number, file = true) => ({
    mode: 0o100000 | mode,
    uid,
    isFile: () => file,
  });

  it.each([
    [0o600, 1000, undefined],
    [0o400, 1000, undefined],
    [0o640, 1000, /grants access to its group \(mode 0640\)/],
    [0o604, 1000, /grants access to others \(mode 0604\)/],
    [0o644, 0, /grants access to others/],
    // A Kubernetes Secret mounted with fsGroup: root-owned, group-readable, nothing for others.
    [0o440, 0, undefined],
    [0o640, 0, undefined],
    [0o660, 0, /grants access to its group \(mode 0660\)/],
    [0o650, 0, /grants access to its group/],
  ] as const)('mode %o owned by uid %i', (mode, uid, expected) => {
    const problem = passfilePermissionProblem(stats(mode, uid));
    if (expected === undefined) expect(problem).toBeUndefined();
    else expect(problem).toMatch(expected);
  });

  it('refuses anything but a regular file', () => {
    expect(passfilePermissionProblem(stats(0o600, 0, false))).toBe('is not a regular file');
  });
});

describe('the API with PGPASSFILE', () => {
  function problemsOf(values: Env): string[] {
    try {
      loadDbConfig(values);
    } catch (error) {
      if (error instanceof ConfigError) return error.problems;
      throw error;
    }
    return [];
  }

  it('reads the password from the file, and PGPASSWORD still wins over it as in libpq', async () => {
    const file = await passfile(`*:*:*:*:${ESCAPED}\n`);
    expect(loadDbConfig(env(file)).password).toBe(PASSWORD);
    expect(loadDbConfig(env(file, { PGPASSWORD: 'from-env' })).password).toBe('from-env');
    expect(
      loadDbConfig(env(file, { PGPASSWORD: undefined, PGPASSFILE: undefined })).password,
    ).toBeUndefined();
  });

  it('names an unsafe, missing or non-matching password file as a configuration problem', async () => {
    const open = await passfile(`*:*:*:*:${ESCAPED}\n`, 0o644);
    const other = await passfile(`*:*:*:someone_else:${ESCAPED}\n`);
    expect(problemsOf(env(open))).toEqual([
      `PGPASSFILE: ${open} grants access to others (mode 0644); use 0600, or 0440 root-owned`,
    ]);
    expect(problemsOf(env(join(dir, 'missing')))).toEqual([
      `PGPASSFILE: cannot read ${join(dir, 'missing')} (ENOENT)`,
    ]);
    expect(problemsOf(env(other))).toEqual([
      `PGPASSFILE: no line in ${other} matches 127.0.0.1:${key.port}:postgres:${ROLE} (host:port:database:user, * matches any)`,
    ]);
    for (const line of [...problemsOf(env(open)), ...problemsOf(env(other))])
      expect(line).not.toContain(PASSWORD);
  });

  it('connects to PostgreSQL with the password from the file and no PGPASSWORD', async () => {
    const file = await passfile(`# the API's role\n127.0.0.1:${key.port}:postgres:${ROLE}:${ESCAPED}\n`);
    const api = await startApi(
      { ...env(file), AUTH_MODE: 'none', PORT: '0', LOG_LEVEL: 'silent' },
      { logStream: new LogCapture() },
    );
    try {
      expect((await request(`${api.metricsUrl}/readyz`)).status).toBe(200);
    } finally {
      await api.close();
    }
    const wrong = await passfile(`*:*:*:*:not-the-password\n`);
    const refused = await startApi(
      { ...env(wrong), AUTH_MODE: 'none', PORT: '0', LOG_LEVEL: 'silent' },
      { logStream: new LogCapture() },
    );
    try {
      expect((await request(`${refused.metricsUrl}/readyz`)).status).toBe(503);
    } finally {
      await refused.close();
    }
  });
});
