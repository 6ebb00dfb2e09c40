// A throw-away PostgreSQL server per test file: initdb + pg_ctl in a temp dir on a free loopback port.
import { execFile, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { chown, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface PostgresTlsOptions {
  /** Server certificate, PEM. */
  cert: string;
  /** Server private key, PEM. */
  key: string;
  /** CA certificate, PEM; when given, PGSSLROOTCERT in `env` points at it. */
  ca?: string;
}

export interface StartPostgresOptions {
  tls?: PostgresTlsOptions;
  /** Only `hostssl` entries in pg_hba.conf: plaintext connections are refused. Needs `tls`. */
  requireTls?: boolean;
}

export interface PostgresServer {
  host: string;
  port: number;
  database: string;
  user: string;
  password: string;
  /** libpq variables for this server (PGHOST ... PGSSLMODE, PGSSLROOTCERT when a CA was given). */
  env: Record<string, string>;
  /** Path of the CA file named by PGSSLROOTCERT, if any. */
  caFile?: string;
  /** The server's data directory (removed by stop()). */
  dataDir: string;
  stop(): Promise<void>;
}

const host = '127.0.0.1';
const running = new Set<string>();

/** Newest /usr/lib/postgresql/<major>/bin unless PG_BINDIR says otherwise. */
export function postgresBinDir(): string {
  if (process.env.PG_BINDIR) return process.env.PG_BINDIR;
  const root = '/usr/lib/postgresql';
  const majors = existsSync(root)
    ? readdirSync(root)
        .filter((name) => /^\d+$/.test(name) && existsSync(join(root, name, 'bin', 'initdb')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (majors[0] === undefined) throw new Error(`no PostgreSQL server binaries under ${root}; set PG_BINDIR`);
  return join(root, majors[0], 'bin');
}

const asRoot = userInfo().uid === 0;

/** Runs a PostgreSQL binary, as the `postgres` OS user when we are root (initdb refuses root). */
async function runAsPostgres(binary: string, args: string[]): Promise<void> {
  const command = asRoot ? 'runuser' : binary;
  const argv = asRoot ? ['-u', 'postgres', '--', binary, ...args] : args;
  await run(command, argv, { env: { ...process.env, LC_ALL: 'C' } });
}

async function postgresOwnership(): Promise<{ uid: number; gid: number } | undefined> {
  if (!asRoot) return undefined;
  const { stdout } = await run('id', ['-u', 'postgres']);
  const { stdout: gid } = await run('id', ['-g', 'postgres']);
  return { uid: Number(stdout.trim()), gid: Number(gid.trim()) };
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      server.close(() => {
        if (address && typeof address === 'object') resolve(address.port);
        else reject(new Error('could not determine a free port'));
      });
    });
  });
}

function hbaRules(requireTls: boolean): string {
  const kind = requireTls ? 'hostssl' : 'host';
  return [
    'local all all scram-sha-256',
    `${kind} all all 127.0.0.1/32 scram-sha-256`,
    `${kind} all all ::1/128 scram-sha-256`,
    '',
  ].join('\n');
}

function quote(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

function stopSync(dataDir: string): void {
  const pgCtl = join(postgresBinDir(), 'pg_ctl');
  const args = ['stop', '-D', dataDir, '-m', 'immediate'];
  if (asRoot) spawnSync('runuser', ['-u', 'postgres', '--', pgCtl, ...args], { stdio: 'ignore' });
  else spawnSync(pgCtl, args, { stdio: 'ignore' });
}

// A crashed test file must not leave servers behind.
process.once('exit', () => {
  for (const dataDir of running) stopSync(dataDir);
});

export async function startPostgres(options: StartPostgresOptions = {}): Promise<PostgresServer> {
  if (options.requireTls && !options.tls) throw new Error('startPostgres: requireTls needs tls certificates');
  const bin = postgresBinDir();
  const root = await mkdtemp(join(tmpdir(), 'pg-'));
  const dataDir = join(root, 'data');
  const user = 'postgres';
  const password = randomBytes(18).toString('base64url');
  const database = 'postgres';
  let started = false;

  const cleanUp = async (): Promise<void> => {
    if (started) {
      try {
        await runAsPostgres(join(bin, 'pg_ctl'), ['stop', '-D', dataDir, '-m', 'immediate', '-w']);
      } catch {
        // Already stopped (or never came up): removing the directory is all that is left.
      }
      running.delete(dataDir);
      started = false;
    }
    await rm(root, { recursive: true, force: true });
  };

  try {
    const owner = await postgresOwnership();
    const pwfile = join(root, 'pwfile');
    await writeFile(pwfile, password, { mode: 0o600 });
    await mkdir(dataDir, { mode: 0o700 });
    if (owner) {
      await chown(root, owner.uid, owner.gid);
      await chown(dataDir, owner.uid, owner.gid);
      await chown(pwfile, owner.uid, owner.gid);
    }
    await runAsPostgres(join(bin, 'initdb'), [
      '-D',
      dataDir,
      '-U',
      user,
      '--pwfile',
      pwfile,
      '--auth',
      'scram-sha-256',
      '--encoding',
      'UTF8',
      '--no-locale',
      '--no-sync',
      '--no-instructions',
    ]);
    await rm(pwfile);

    const settings: Record<string, string> = {
      listen_addresses: quote(host),
      unix_socket_directories: quote(root),
      // Throw-away data: durability only costs start-up and test time.
      fsync: 'off',
      synchronous_commit: 'off',
      full_page_writes: 'off',
      shared_buffers: quote('16MB'),
      max_connections: '40',
      password_encryption: 'scram-sha-256',
    };
    let caFile: string | undefined;
    if (options.tls) {
      const files = { cert: join(root, 'server.crt'), key: join(root, 'server.key') };
      await writeFile(files.cert, options.tls.cert);
      await writeFile(files.key, options.tls.key, { mode: 0o600 });
      if (owner) {
        await chown(files.cert, owner.uid, owner.gid);
        await chown(files.key, owner.uid, owner.gid);
      }
      Object.assign(settings, {
        ssl: 'on',
        ssl_cert_file: quote(files.cert),
        ssl_key_file: quote(files.key),
        ssl_min_protocol_version: quote('TLSv1.2'),
      });
      if (options.tls.ca) {
        caFile = join(root, 'ca.crt');
        await writeFile(caFile, options.tls.ca, { mode: 0o644 });
      }
    }
    await writeFile(join(dataDir, 'pg_hba.conf'), hbaRules(options.requireTls ?? false));

    const port = await startOnFreePort(bin, dataDir, root, settings, () => {
      started = true;
      running.add(dataDir);
    });

    const env: Record<string, string> = {
      PGHOST: host,
      PGPORT: String(port),
      PGDATABASE: database,
      PGUSER: user,
      PGPASSWORD: password,
      PGSSLMODE: options.tls ? (caFile ? 'verify-full' : 'require') : 'disable',
    };
    if (caFile) env.PGSSLROOTCERT = caFile;
    return { host, port, database, user, password, env, caFile, dataDir, stop: cleanUp };
  } catch (error) {
    await cleanUp();
    throw error;
  }
}

async function startOnFreePort(
  bin: string,
  dataDir: string,
  root: string,
  settings: Record<string, string>,
  onStarted: () => void,
): Promise<number> {
  const logFile = join(root, 'server.log');
  let lastError: unknown;
  // Another process may grab the free port between our probe and the bind: try a few.
  for (let attempt = 0; attempt < 3; attempt += 1) {
    const port = await freePort();
    const conf = Object.entries({ ...settings, port: String(port) })
      .map(([name, value]) => `${name} = ${value}`)
      .join('\n');
    await writeFile(join(dataDir, 'postgresql.auto.conf'), `${conf}\n`);
    try {
      await runAsPostgres(join(bin, 'pg_ctl'), ['start', '-D', dataDir, '-l', logFile, '-w', '-t', '60']);
      onStarted();
      return port;
    } catch (error) {
      const log = await readFile(logFile, 'utf8').catch(() => '');
      lastError = new Error(`PostgreSQL did not start: ${log.trim().split('\n').slice(-3).join(' | ')}`, {
        cause: error,
      });
      if (!log.includes('could not bind')) break;
    }
  }
  throw lastError;
}
