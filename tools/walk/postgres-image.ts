// The official postgres image's entrypoint (docker-library/postgres, 17/alpine*/docker-entrypoint.sh),
// step for step, with this machine's PostgreSQL binaries: the runtime contract tls-postgres.ts relies on.
// - POSTGRES_PASSWORD, POSTGRES_USER (default postgres), POSTGRES_DB (default the user) and
//   POSTGRES_INITDB_ARGS, each from `<VAR>` or the file `<VAR>_FILE` names (both set is an error);
// - only when PGDATA has no PG_VERSION: initdb with that user and password, `host all all all
//   <password_encryption>` appended to PGDATA/pg_hba.conf, a socket-only server with the container's
//   arguments, CREATE DATABASE POSTGRES_DB when missing, /docker-entrypoint-initdb.d, stop;
// - then `postgres <args>` (a first argument starting with `-` gets `postgres` put in front).
// Two settings are added, both what the pod's own network and volume mean here: listen_addresses is
// the pod's address (the image listens on '*', every address of the pod) and unix_socket_directories
// is where the pod's /var/run/postgresql volume is.
import { appendFileSync, existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { mkdtemp, rm, writeFile, chown } from 'node:fs/promises';
import * as path from 'node:path';
import { WalkError } from './objects';
import { ContainerProcess, type Identity, debug, runAs, waitFor } from './processes';

export interface PostgresContainer {
  /** `<pod>/<container>`, for messages. */
  name: string;
  env: Record<string, string>;
  /** The container's args, paths already where the volumes are. */
  args: string[];
  socketDir: string;
  /** Where /docker-entrypoint-initdb.d is mounted, if it is. */
  initScriptsDir: string | undefined;
  identity: Identity;
  listenAddress: string;
  binDir: string;
  /** A private directory for the password file initdb reads. */
  scratchDir: string;
  logFile: string;
}

function quote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** `file_env VAR [DEFAULT]`: the value of VAR or of the file VAR_FILE names; both set is an error. */
async function fileEnv(container: PostgresContainer, name: string, fallback = ''): Promise<string> {
  const value = container.env[name];
  const file = container.env[`${name}_FILE`];
  if (value && file)
    throw new WalkError(`${container.name}: both ${name} and ${name}_FILE are set (but are exclusive)`);
  if (value) return value;
  if (file) {
    const read = await runAs(container.identity, ['cat', file], {
      env: { PATH: process.env.PATH ?? '' },
      cwd: '/',
    });
    if (read.status !== 0)
      throw new WalkError(`${container.name}: cannot read ${name}_FILE: ${read.output.trim()}`);
    return read.output.replace(/\n$/, '');
  }
  return fallback;
}

async function step(
  container: PostgresContainer,
  what: string,
  argv: string[],
  env: Record<string, string>,
): Promise<string> {
  debug(`${container.name}: ${what}`);
  const result = await runAs(container.identity, argv, { env, cwd: '/', timeoutMs: 120_000 });
  if (result.status !== 0)
    throw new WalkError(
      `${container.name}: ${what} failed: ${result.output.trim().split('\n').slice(-8).join(' | ')}`,
    );
  return result.output;
}

/** Runs the entrypoint's first start when PGDATA is empty; true when it did. */
async function initializeIfEmpty(container: PostgresContainer): Promise<boolean> {
  const pgdata = container.env.PGDATA;
  if (pgdata === undefined) throw new WalkError(`${container.name}: PGDATA is not set`);
  const baseEnv = { PATH: `${container.binDir}:${process.env.PATH ?? ''}`, PGDATA: pgdata, LANG: 'C.UTF-8' };
  await step(container, 'mkdir PGDATA', ['mkdir', '-p', pgdata], baseEnv);
  await step(container, 'chmod PGDATA', ['chmod', '700', pgdata], baseEnv);
  const version = path.join(pgdata, 'PG_VERSION');
  if (existsSync(version) && statSync(version).size > 0) return false;

  const password = await fileEnv(container, 'POSTGRES_PASSWORD');
  const user = await fileEnv(container, 'POSTGRES_USER', 'postgres');
  const database = await fileEnv(container, 'POSTGRES_DB', user);
  const initdbArgs = await fileEnv(container, 'POSTGRES_INITDB_ARGS');
  const hostAuth = container.env.POSTGRES_HOST_AUTH_METHOD ?? '';
  if (password === '' && hostAuth !== 'trust')
    throw new WalkError(
      `${container.name}: Database is uninitialized and superuser password is not specified.`,
    );

  const bin = (name: string) => path.join(container.binDir, name);
  const pwfile = path.join(container.scratchDir, 'pwfile');
  await writeFile(pwfile, `${password}\n`, { mode: 0o600 });
  await chown(pwfile, container.identity.uid, container.identity.gid);
  try {
    await step(
      container,
      'initdb',
      [bin('initdb'), `--username=${user}`, `--pwfile=${pwfile}`, ...initdbArgs.split(/\s+/).filter(Boolean)],
      baseEnv,
    );
  } finally {
    await rm(pwfile, { force: true });
  }
  const auth =
    hostAuth ||
    (
      await step(
        container,
        'postgres -C',
        [bin('postgres'), '-C', 'password_encryption', ...container.args],
        baseEnv,
      )
    ).trim();
  const hba = path.join(pgdata, 'pg_hba.conf');
  await step(
    container,
    'pg_hba.conf',
    ['sh', '-c', `printf '\\nhost all all all %s\\n' ${quote(auth)} >> ${quote(hba)}`],
    baseEnv,
  );

  const options = [
    ...container.args,
    '-c',
    'listen_addresses=',
    '-p',
    '5432',
    '-c',
    `unix_socket_directories=${container.socketDir}`,
  ];
  const clientEnv = {
    ...baseEnv,
    PGUSER: user,
    PGPASSWORD: password,
    PGHOST: container.socketDir,
    PGPORT: '5432',
  };
  // The image's temporary server writes to the container's output; pg_ctl needs a file for that
  // here (a server holding our pipe open would keep pg_ctl's caller waiting).
  const serverLog = path.join(container.scratchDir, 'temporary-server.log');
  await step(
    container,
    'temporary server',
    [bin('pg_ctl'), '-D', pgdata, '-o', options.map(quote).join(' '), '-l', serverLog, '-w', 'start'],
    clientEnv,
  );
  try {
    const psql = [bin('psql'), '-v', 'ON_ERROR_STOP=1', '--username', user, '--no-password', '--no-psqlrc'];
    const exists = await step(
      container,
      'database check',
      [
        ...psql,
        '--dbname',
        'postgres',
        '-tA',
        '-c',
        `SELECT 1 FROM pg_database WHERE datname = '${database.replace(/'/g, "''")}'`,
      ],
      clientEnv,
    );
    if (exists.trim() === '')
      await step(
        container,
        'CREATE DATABASE',
        [...psql, '--dbname', 'postgres', '-c', `CREATE DATABASE "${database.replace(/"/g, '""')}"`],
        clientEnv,
      );
    for (const file of initScripts(container.initScriptsDir)) {
      if (file.endsWith('.sh')) await step(container, file, ['sh', file], clientEnv);
      else if (file.endsWith('.sql'))
        await step(container, file, [...psql, '--dbname', database, '-f', file], clientEnv);
    }
  } finally {
    await step(
      container,
      'stopping the temporary server',
      [bin('pg_ctl'), '-D', pgdata, '-m', 'fast', '-w', 'stop'],
      clientEnv,
    );
    if (existsSync(serverLog)) appendFileSync(container.logFile, readFileSync(serverLog));
  }
  return true;
}

function initScripts(dir: string | undefined): string[] {
  if (dir === undefined || !existsSync(dir)) return [];
  return readdirSync(dir)
    .sort()
    .map((file) => path.join(dir, file));
}

/** Starts the server as the image would; resolves once it accepts connections on its socket. */
export async function startPostgresContainer(
  container: PostgresContainer,
): Promise<{ process: ContainerProcess; initialized: boolean }> {
  // The entrypoint runs `postgres "$@"` for arguments that start with a flag (or none: CMD postgres).
  const [first, ...rest] = container.args;
  if (first !== undefined && !first.startsWith('-') && first !== 'postgres')
    throw new WalkError(`${container.name}: the walk runs the image's postgres server only, not '${first}'`);
  const args = first === 'postgres' ? rest : container.args;
  const scratch = await mkdtemp(path.join(container.scratchDir, 'init-'));
  await chown(scratch, container.identity.uid, container.identity.gid);
  const initialized = await initializeIfEmpty({ ...container, args, scratchDir: scratch });
  await rm(scratch, { recursive: true, force: true });
  const env = { ...container.env, PATH: `${container.binDir}:${process.env.PATH ?? ''}`, LANG: 'C.UTF-8' };
  const server = ContainerProcess.start({
    name: container.name,
    argv: [
      path.join(container.binDir, 'postgres'),
      ...args,
      '-c',
      `listen_addresses=${container.listenAddress}`,
      '-c',
      `unix_socket_directories=${container.socketDir}`,
    ],
    env,
    cwd: '/',
    identity: container.identity,
    logFile: container.logFile,
  });
  await waitFor(
    `${container.name} accepting connections`,
    async () =>
      (
        await runAs(
          container.identity,
          [path.join(container.binDir, 'pg_isready'), '-q', '-h', container.socketDir, '-p', '5432'],
          {
            env,
            cwd: '/',
          },
        )
      ).status === 0,
    {
      timeoutMs: 60_000,
      intervalMs: 300,
      abort: () => (server.running ? undefined : `exited: ${tail(server.output)}`),
    },
  );
  return { process: server, initialized };
}

export function tail(text: string, lines = 4): string {
  return text.trim().split('\n').slice(-lines).join(' | ');
}
