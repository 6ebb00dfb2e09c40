// PostgreSQL connection settings under their libpq names, including the password file (PGPASSFILE), so a
// password can be mounted as a file instead of set in the environment. Shared by api and backup.
import { statSync, type Stats } from 'node:fs';
import type { Settings } from './settings.js';

const SSL_MODES = ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full'] as const;
export type SslMode = (typeof SSL_MODES)[number];

export interface PgConnectionSettings {
  host: string;
  port: number;
  database: string;
  user: string;
  /** From PGPASSWORD, else from the first matching PGPASSFILE line. */
  password: string | undefined;
  sslmode: SslMode;
  /** PEM of PGSSLROOTCERT, or 'system' for the platform's trust store. */
  sslRootCert: string | 'system' | undefined;
  /** The file PGSSLROOTCERT names, for the libpq tools (pg_dump, pg_restore) this process starts. */
  sslRootCertFile: string | undefined;
}

export interface LibpqDefaults {
  host?: string;
  user?: string;
  sslmode?: SslMode;
}

/** The key libpq looks a password up by: the four fields of a password file line, as text. */
export interface PassfileKey {
  host: string;
  port: string;
  database: string;
  user: string;
}

/**
 * One field of a password file line matched against `value` (libpq's pwdfMatchesString): `*` alone
 * matches anything, `\` escapes the next character. Returns the rest of the line after the field's
 * colon, or undefined when the field does not match.
 */
function matchField(line: string, value: string): string | undefined {
  if (line.startsWith('*:')) return line.slice(2);
  let at = 0;
  let field = '';
  while (at < line.length) {
    let char = line[at] as string;
    if (char === '\\' && at + 1 < line.length) {
      at += 1;
      char = line[at] as string;
      field += char;
    } else if (char === ':') {
      return field === value ? line.slice(at + 1) : undefined;
    } else {
      field += char;
    }
    at += 1;
  }
  return undefined;
}

/** The password field: up to the first unescaped colon (or the line's end), with escapes removed. */
function passwordField(rest: string): string {
  let password = '';
  for (let at = 0; at < rest.length; at += 1) {
    let char = rest[at] as string;
    if (char === ':') break;
    if (char === '\\' && at + 1 < rest.length) {
      at += 1;
      char = rest[at] as string;
    }
    password += char;
  }
  return password;
}

/** The password of the first line that matches `key`, as libpq reads a password file; undefined if none. */
export function passfilePassword(text: string, key: PassfileKey): string | undefined {
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\r+$/, '');
    if (line === '' || line.startsWith('#')) continue;
    let rest: string | undefined = line;
    for (const value of [key.host, key.port, key.database, key.user]) {
      rest = rest === undefined ? undefined : matchField(rest, value);
    }
    if (rest !== undefined) return passwordField(rest);
  }
  return undefined;
}

/**
 * Why a password file must not be read, or undefined when it may. libpq ignores a file that grants
 * any access to group or others. We refuse such a file loudly instead, with one exception: a root-owned
 * file that only adds group read (0440/0640) is a Kubernetes Secret mounted with fsGroup, the only way
 * a non-root container can read a Secret file at all (PostgreSQL's own key-file check makes the same
 * allowance for root). World access, group write and anything but a regular file are always refused.
 */
export function passfilePermissionProblem(stats: Pick<Stats, 'mode' | 'uid' | 'isFile'>): string | undefined {
  if (!stats.isFile()) return 'is not a regular file';
  const mode = stats.mode & 0o777;
  const shown = `mode 0${mode.toString(8).padStart(3, '0')}`;
  if ((mode & 0o007) !== 0) return `grants access to others (${shown}); use 0600, or 0440 root-owned`;
  if ((mode & 0o070) === 0) return undefined;
  if (stats.uid === 0 && (mode & 0o030) === 0) return undefined;
  return `grants access to its group (${shown}); libpq allows 0600 or stricter, and group read only on a root-owned file`;
}

/**
 * The libpq variables PGHOST, PGPORT, PGDATABASE, PGUSER, PGPASSWORD or PGPASSFILE, PGSSLMODE and
 * PGSSLROOTCERT. As in libpq, PGPASSWORD wins over PGPASSFILE, and a password file line is looked up
 * by host, port, database and user; unlike libpq, ~/.pgpass is never read (only PGPASSFILE), and a
 * password file that is unsafe, unreadable or has no matching line is a configuration problem.
 */
export function readLibpqSettings(
  settings: Settings,
  defaults: LibpqDefaults = {},
  stat: (path: string) => Pick<Stats, 'mode' | 'uid' | 'isFile'> = statSync,
): PgConnectionSettings {
  const fallbackMode = defaults.sslmode ?? 'verify-full';
  const before = settings.problems.length;
  const sslmode = settings.oneOf('PGSSLMODE', SSL_MODES, fallbackMode);
  const sslmodeValid = settings.problems.length === before;
  const sslRootCertFile = settings.text('PGSSLROOTCERT');
  let sslRootCert: PgConnectionSettings['sslRootCert'];
  if (sslRootCertFile === 'system') sslRootCert = 'system';
  else if (sslRootCertFile !== undefined)
    sslRootCert = settings.file('PGSSLROOTCERT', sslRootCertFile, 'CA file');
  else if (sslmodeValid && (sslmode === 'verify-ca' || sslmode === 'verify-full')) {
    const origin = settings.text('PGSSLMODE') === undefined ? ' (the default)' : '';
    settings.problem(
      `PGSSLMODE=${sslmode}${origin} needs PGSSLROOTCERT (the CA file, or "system"); set PGSSLMODE=disable only for a plaintext database`,
    );
  }
  const user = settings.text('PGUSER') ?? defaults.user ?? 'postgres';
  const host = settings.text('PGHOST') ?? defaults.host ?? 'localhost';
  const port = settings.port('PGPORT', 5432);
  if (port === 0) settings.problem('PGPORT=0 is not a usable port');
  const database = settings.text('PGDATABASE') ?? user;
  const key = { host, port: String(port), database, user };
  return {
    host,
    port,
    database,
    user,
    password: passwordOf(settings, key, stat),
    sslmode,
    sslRootCert,
    sslRootCertFile: sslRootCertFile === 'system' ? undefined : sslRootCertFile,
  };
}

function passwordOf(
  settings: Settings,
  key: PassfileKey,
  stat: (path: string) => Pick<Stats, 'mode' | 'uid' | 'isFile'>,
): string | undefined {
  // Not trimmed: a password may begin or end with a space.
  const password = settings.env.PGPASSWORD;
  if (password !== undefined && password !== '') return password;
  const file = settings.text('PGPASSFILE');
  if (file === undefined) return undefined;
  let stats;
  try {
    stats = stat(file);
  } catch (error) {
    return settings.problem(
      `PGPASSFILE: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? 'unreadable'})`,
    );
  }
  const unsafe = passfilePermissionProblem(stats);
  if (unsafe !== undefined) return settings.problem(`PGPASSFILE: ${file} ${unsafe}`);
  const text = settings.file('PGPASSFILE', file);
  if (text === undefined) return undefined;
  const found = passfilePassword(text, key);
  if (found === undefined) {
    settings.problem(
      `PGPASSFILE: no line in ${file} matches ${key.host}:${key.port}:${key.database}:${key.user} (host:port:database:user, * matches any)`,
    );
  }
  return found;
}

/**
 * The same connection as libpq variables, for the libpq tools this process starts. The password goes
 * as PGPASSWORD (already looked up): libpq itself would ignore a group-readable Secret mount.
 */
export function libpqEnv(config: PgConnectionSettings): Record<string, string> {
  const env: Record<string, string> = {
    PGHOST: config.host,
    PGPORT: String(config.port),
    PGDATABASE: config.database,
    PGUSER: config.user,
    PGSSLMODE: config.sslmode,
  };
  if (config.password !== undefined) env.PGPASSWORD = config.password;
  if (config.sslRootCertFile !== undefined) env.PGSSLROOTCERT = config.sslRootCertFile;
  else if (config.sslRootCert === 'system') env.PGSSLROOTCERT = 'system';
  return env;
}
