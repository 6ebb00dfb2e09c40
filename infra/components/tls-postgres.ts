// PostgreSQL as a StatefulSet: plaintext with the workshop's default password, or TLS-only; roles always.
//
// Runtime contract of the official image (docker-library/postgres, 17/alpine*/Dockerfile and
// docker-entrypoint.sh; https://github.com/docker-library/postgres):
// - the `postgres` user is uid/gid 70 in the Alpine variants (999 in the Debian ones);
// - started as root it chowns PGDATA and re-executes itself as `postgres` (su-exec); started as a
//   non-root uid it needs PGDATA writable by that uid (fsGroup on the volume);
// - initdb, POSTGRES_USER/POSTGRES_PASSWORD/POSTGRES_DB and /docker-entrypoint-initdb.d run ONLY when
//   PGDATA has no PG_VERSION: on an existing data directory every one of them is ignored. So roles and
//   passwords cannot be managed by init scripts on a database that outlives a step of the workshop;
//   the `roles` container below applies them on every start instead;
// - `<VAR>_FILE` reads POSTGRES_PASSWORD (and the other POSTGRES_* settings) from a file;
// - the server's socket is in /var/run/postgresql; the image's pg_hba trusts `local` connections.
import { createHash } from 'node:crypto';
import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';
import * as random from '@pulumi/random';
import {
  RESOURCE_PRESETS,
  execProbes,
  restrictedContainerSecurityContext,
  restrictedPodSecurityContext,
  scratchVolume,
} from '../lib/pod-security';
import {
  type StackContext,
  controlTrail,
  caBundleVolume,
  literalEnv,
  objectMeta,
  workloadServiceAccount,
} from '../lib/workload';
import { WAIVERS } from '../lib/checkov';
import { selectorLabels } from '../lib/labels';
import { type CertificateAuthority, serviceDnsNames } from './certificate-authority';

type EnvVar = k8s.types.input.core.v1.EnvVar;
type Volume = k8s.types.input.core.v1.Volume;
type VolumeMount = k8s.types.input.core.v1.VolumeMount;
type Container = k8s.types.input.core.v1.Container;
type PodSpec = k8s.types.input.core.v1.PodSpec;

export const POSTGRES_NAME = 'postgres';
export const POSTGRES_PORT = 5432;
export const DATABASE = 'bank';
/** uid/gid of the `postgres` user in the official Alpine image (`adduser -u 70` in its Dockerfile). */
export const POSTGRES_UID = 70;
/** The workshop's default password, kept without generated-secrets on purpose (the policies catch it). */
export const WORKSHOP_DEFAULT_PASSWORD = 'postgres';

/**
 * Every client has its own role in every stack, so every control combination points at a role that
 * exists: the superuser (the restore check only), the owner (migrations, backups), the app role
 * (rows only: the API without the firewall) and the firewall's upstream login.
 */
export const ROLE_NAMES = {
  superuser: 'postgres',
  owner: 'bank_owner',
  app: 'bank_app',
  firewall: 'bank_firewall',
} as const;
export type DbRole = keyof typeof ROLE_NAMES;
const ROLES = Object.keys(ROLE_NAMES) as DbRole[];

/**
 * The one table the firewall's role owns. JumpWire 4.0.0 alters every table it protects when it
 * starts (shadow columns, indexes and its encryption trigger; lib/jumpwire/proxy/postgres/setup.ex
 * enable_table/upsert_metadata) and, when it cannot, passes data through unlabelled: fail open.
 * So its login must own `users`, and owns nothing else.
 */
export const FIREWALL_TABLE = 'users';

export const DATA_DIR = '/var/lib/postgresql/data';
export const SOCKET_DIR = '/var/run/postgresql';
export const TLS_DIR = '/etc/postgresql/tls';
export const CONF_DIR = '/etc/postgresql/conf';
export const ROLES_DIR = '/etc/postgresql/roles';
export const PASSWORDS_DIR = '/etc/postgresql/passwords';
export const CREDENTIALS_SECRET = `${POSTGRES_NAME}-credentials`;
/** Where a client pod finds its role's libpq password file (PGPASSFILE), from the credentials Secret. */
export const CLIENT_CREDENTIALS_DIR = '/etc/postgresql-client';

/**
 * A libpq password file line (host:port:database:user:password) for one role; `:` and `\` in a
 * field are escaped with `\` as libpq reads them. Any database: the restore check uses a scratch one.
 */
export function passfileLine(host: string, port: number, user: string, password: string): string {
  const escape = (field: string) => field.replace(/[\\:]/g, (char) => `\\${char}`);
  return `${escape(host)}:${port}:*:${escape(user)}:${escape(password)}\n`;
}
/** The roles container creates this file once the roles are in place: its readiness. */
export const ROLES_READY_FILE = '/tmp/roles-applied';
/** Changes whenever a password changes, so the pod restarts and the roles container applies it. */
export const CREDENTIALS_CHECKSUM_ANNOTATION = 'secure-workshop.dev/credentials-checksum';

/**
 * pg_hba that admits only TLS connections with SCRAM passwords over the network. Locally, the
 * superuser's own OS account (uid 70, `postgres`) logs in by peer: the roles container applies
 * roles without needing the very password it is about to change.
 */
export function tlsOnlyHba(): string {
  return [
    '# TYPE     DATABASE  USER      ADDRESS    METHOD',
    `local      all       ${ROLE_NAMES.superuser}              peer`,
    'local      all       all                  scram-sha-256',
    'hostssl    all       all       0.0.0.0/0  scram-sha-256',
    'hostssl    all       all       ::/0       scram-sha-256',
    'hostnossl  all       all       0.0.0.0/0  reject',
    'hostnossl  all       all       ::/0       reject',
    '',
  ].join('\n');
}

/** Server arguments that turn TLS on, require TLS 1.2+ and use the pg_hba above. */
export function tlsServerArgs(): string[] {
  const settings = {
    ssl: 'on',
    ssl_cert_file: `${TLS_DIR}/tls.crt`,
    ssl_key_file: `${TLS_DIR}/tls.key`,
    ssl_ca_file: `${TLS_DIR}/ca.crt`,
    ssl_min_protocol_version: 'TLSv1.2',
    password_encryption: 'scram-sha-256',
    hba_file: `${CONF_DIR}/pg_hba.conf`,
  };
  return Object.entries(settings).flatMap(([key, value]) => ['-c', `${key}=${value}`]);
}

/**
 * The roles, their passwords and their rights, as idempotent SQL for psql run by the superuser: it
 * creates what is missing and resets what exists, on a new database and on one created by an
 * earlier step alike (tables a superuser created then are handed to the owner). Passwords come from
 * psql variables (`\getenv`), never from the script or a command line.
 *
 * The firewall's role owns `users` only (see FIREWALL_TABLE) and has row rights on everything else;
 * the owner is a member of it, so migrations still change `users`. An event trigger hands `users` to
 * the firewall's role the moment a migration creates it, so the firewall never starts against a
 * table it cannot protect. JumpWire's start also needs pgcrypto and hstore: the superuser installs
 * them here, so its `CREATE EXTENSION IF NOT EXISTS` needs no right on the database.
 */
export function rolesSql(): string {
  const { owner, app, firewall } = ROLE_NAMES;
  const attributes = 'LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS';
  const rowRights = 'SELECT, INSERT, UPDATE, DELETE';
  return `\\getenv owner_password OWNER_PASSWORD
\\getenv app_password APP_PASSWORD
\\getenv firewall_password FIREWALL_PASSWORD
\\getenv superuser_password SUPERUSER_PASSWORD
SELECT format('CREATE ROLE %I', wanted) FROM unnest(ARRAY['${owner}', '${app}', '${firewall}']) AS wanted
  WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = wanted) \\gexec
ALTER ROLE ${owner} WITH ${attributes} PASSWORD :'owner_password';
ALTER ROLE ${app} WITH ${attributes} PASSWORD :'app_password';
ALTER ROLE ${firewall} WITH ${attributes} PASSWORD :'firewall_password';
ALTER ROLE CURRENT_USER WITH PASSWORD :'superuser_password';
GRANT ${firewall} TO ${owner};
ALTER DATABASE ${DATABASE} OWNER TO ${owner};
REVOKE ALL ON DATABASE ${DATABASE} FROM PUBLIC;
GRANT CONNECT ON DATABASE ${DATABASE} TO ${owner}, ${app}, ${firewall};
ALTER SCHEMA public OWNER TO ${owner};
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO ${app}, ${firewall};
GRANT CREATE ON SCHEMA public TO ${firewall};
CREATE EXTENSION IF NOT EXISTS pgcrypto;
CREATE EXTENSION IF NOT EXISTS hstore;
SELECT format('ALTER TABLE %I.%I OWNER TO ${owner}', schemaname, tablename) FROM pg_tables
  WHERE schemaname = 'public' AND tableowner NOT IN ('${owner}', '${firewall}')
    AND tablename <> '${FIREWALL_TABLE}' \\gexec
SELECT 'ALTER TABLE public.${FIREWALL_TABLE} OWNER TO ${firewall}' FROM pg_tables
  WHERE schemaname = 'public' AND tablename = '${FIREWALL_TABLE}' AND tableowner <> '${firewall}' \\gexec
CREATE OR REPLACE FUNCTION public.secure_workshop_firewall_owns_${FIREWALL_TABLE}() RETURNS event_trigger
  LANGUAGE plpgsql AS $fn$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_event_trigger_ddl_commands()
             WHERE object_type = 'table' AND object_identity = 'public.${FIREWALL_TABLE}') THEN
    EXECUTE 'ALTER TABLE public.${FIREWALL_TABLE} OWNER TO ${firewall}';
  END IF;
END
$fn$;
SELECT 'CREATE EVENT TRIGGER secure_workshop_firewall_owns_${FIREWALL_TABLE} ON ddl_command_end'
  || ' WHEN TAG IN (''CREATE TABLE'') EXECUTE FUNCTION public.secure_workshop_firewall_owns_${FIREWALL_TABLE}()'
  WHERE NOT EXISTS (SELECT 1 FROM pg_event_trigger
                    WHERE evtname = 'secure_workshop_firewall_owns_${FIREWALL_TABLE}') \\gexec
GRANT ${rowRights} ON ALL TABLES IN SCHEMA public TO ${app}, ${firewall};
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO ${app}, ${firewall};
ALTER DEFAULT PRIVILEGES FOR ROLE ${owner} IN SCHEMA public
  GRANT ${rowRights} ON TABLES TO ${app}, ${firewall};
ALTER DEFAULT PRIVILEGES FOR ROLE ${owner} IN SCHEMA public
  GRANT USAGE, SELECT ON SEQUENCES TO ${app}, ${firewall};
`;
}

/**
 * The roles container's program: wait for the server on its socket, apply rolesSql() as the
 * superuser, report ready, then idle until the pod stops. Each password comes from `<NAME>` or from
 * the file named by `<NAME>_FILE`; an empty one stops the container with a one-line error.
 */
export function rolesScript(): string {
  return `#!/bin/sh
set -eu
secret() {
  file=$(printenv "$1_FILE" || true)
  if [ -n "$file" ]; then value=$(cat "$file"); else value=$(printenv "$1" || true); fi
  if [ -z "$value" ]; then echo "roles: $1 is empty" >&2; exit 1; fi
  printf '%s' "$value"
}
OWNER_PASSWORD=$(secret OWNER_PASSWORD)
APP_PASSWORD=$(secret APP_PASSWORD)
FIREWALL_PASSWORD=$(secret FIREWALL_PASSWORD)
SUPERUSER_PASSWORD=$(secret SUPERUSER_PASSWORD)
export OWNER_PASSWORD APP_PASSWORD FIREWALL_PASSWORD SUPERUSER_PASSWORD
until pg_isready --quiet; do sleep 1; done
psql --no-psqlrc --quiet --set=ON_ERROR_STOP=1 --file="$(dirname "$0")/roles.sql"
trap 'exit 0' TERM INT
touch "\${ROLES_READY_FILE:-${ROLES_READY_FILE}}"
echo '{"roles":"applied","database":"'"$PGDATABASE"'"}'
while :; do sleep 3600 & wait $!; done
`;
}

/** How a client pod reaches the database: where, as whom, over TLS or not, and the pod parts it needs. */
export interface DbClient {
  host: string;
  port: number;
  database: string;
  user: pulumi.Input<string>;
  /** True when the client verifies the server (PGSSLMODE=verify-full with the workshop CA). */
  tls: boolean;
  env: EnvVar[];
  volumes: Volume[];
  mounts: VolumeMount[];
  /** Changes whenever the credential does: long-running clients annotate their pods with it to roll. */
  credentialsChecksum: pulumi.Output<string>;
}

/** Where each role's password comes from: files of the generated Secret, or the workshop default. */
export type PasswordSource = { kind: 'generated'; secretName: string } | { kind: 'default' };

export interface PostgresPodOptions {
  image: string;
  tls: boolean;
  hardened: boolean;
  passwords: PasswordSource;
  hbaConfigMap?: string;
  rolesConfigMap: string;
}

function passwordEnv(name: string, role: DbRole, source: PasswordSource): EnvVar {
  return source.kind === 'generated'
    ? literalEnv(`${name}_FILE`, `${PASSWORDS_DIR}/${role}-password`)
    : literalEnv(name, WORKSHOP_DEFAULT_PASSWORD);
}

/** The StatefulSet's pod: the server, and beside it the container that keeps the roles in shape. */
export function postgresPodSpec(options: PostgresPodOptions): PodSpec {
  const volumes: Volume[] = [
    { name: 'roles', configMap: { name: options.rolesConfigMap, defaultMode: 0o555 } },
    { name: 'run', emptyDir: { sizeLimit: '16Mi' } },
  ];
  const serverMounts: VolumeMount[] = [
    { name: 'data', mountPath: DATA_DIR },
    { name: 'run', mountPath: SOCKET_DIR },
  ];
  const rolesMounts: VolumeMount[] = [
    { name: 'roles', mountPath: ROLES_DIR, readOnly: true },
    { name: 'run', mountPath: SOCKET_DIR },
  ];
  if (options.passwords.kind === 'generated') {
    // 0440 with the postgres group: readable by both containers (uid 70), by nobody else.
    volumes.push({
      name: 'passwords',
      secret: { secretName: options.passwords.secretName, defaultMode: 0o440 },
    });
    const mount = { name: 'passwords', mountPath: PASSWORDS_DIR, readOnly: true };
    serverMounts.push(mount);
    rolesMounts.push(mount);
  }
  let args: string[] | undefined;
  if (options.tls) {
    // Root-owned 0640 with the postgres group is the one key mode PostgreSQL accepts from a Secret.
    volumes.push(
      { name: 'tls', secret: { secretName: `${POSTGRES_NAME}-tls`, defaultMode: 0o640 } },
      { name: 'hba', configMap: { name: options.hbaConfigMap ?? `${POSTGRES_NAME}-hba` } },
    );
    serverMounts.push(
      { name: 'tls', mountPath: TLS_DIR, readOnly: true },
      { name: 'hba', mountPath: CONF_DIR, readOnly: true },
    );
    args = tlsServerArgs();
  }
  const tmp = scratchVolume('tmp', '/tmp');
  volumes.push(tmp.volume);
  rolesMounts.push(tmp.mount);
  if (options.hardened) serverMounts.push(tmp.mount);

  const server: Container = {
    name: POSTGRES_NAME,
    image: options.image,
    ...(args ? { args } : {}),
    ports: [{ name: 'postgres', containerPort: POSTGRES_PORT }],
    env: [
      literalEnv('POSTGRES_DB', DATABASE),
      literalEnv('PGDATA', `${DATA_DIR}/pgdata`),
      literalEnv('POSTGRES_USER', ROLE_NAMES.superuser),
      passwordEnv('POSTGRES_PASSWORD', 'superuser', options.passwords),
    ],
    volumeMounts: serverMounts,
    ...(options.hardened
      ? {
          securityContext: restrictedContainerSecurityContext(),
          resources: RESOURCE_PRESETS.medium,
          ...execProbes(['pg_isready', `--host=${SOCKET_DIR}`, `--dbname=${DATABASE}`]),
        }
      : {}),
  };
  const roles: Container = {
    name: 'roles',
    image: options.image,
    command: ['sh', `${ROLES_DIR}/apply-roles.sh`],
    env: [
      literalEnv('PGHOST', SOCKET_DIR),
      literalEnv('PGDATABASE', DATABASE),
      literalEnv('PGUSER', ROLE_NAMES.superuser),
      literalEnv('ROLES_READY_FILE', ROLES_READY_FILE),
      passwordEnv('SUPERUSER_PASSWORD', 'superuser', options.passwords),
      passwordEnv('OWNER_PASSWORD', 'owner', options.passwords),
      passwordEnv('APP_PASSWORD', 'app', options.passwords),
      passwordEnv('FIREWALL_PASSWORD', 'firewall', options.passwords),
    ],
    volumeMounts: rolesMounts,
    // Peer authentication maps the OS user to the role: this must be uid 70 (`postgres`) in any stack.
    securityContext: options.hardened
      ? { ...restrictedContainerSecurityContext(), runAsUser: POSTGRES_UID, runAsGroup: POSTGRES_UID }
      : { runAsUser: POSTGRES_UID, runAsGroup: POSTGRES_UID },
    readinessProbe: { exec: { command: ['test', '-f', ROLES_READY_FILE] }, periodSeconds: 5 },
    // Roles not applied after two minutes (the server never came up, a password file missing):
    // restart the container, which applies them again from the start.
    livenessProbe: {
      exec: { command: ['test', '-f', ROLES_READY_FILE] },
      initialDelaySeconds: 120,
      periodSeconds: 30,
      failureThreshold: 3,
    },
    ...(options.hardened ? { resources: RESOURCE_PRESETS.job } : {}),
  };
  return {
    ...(options.hardened ? { serviceAccountName: POSTGRES_NAME, automountServiceAccountToken: false } : {}),
    ...(options.hardened
      ? {
          securityContext: restrictedPodSecurityContext({
            user: POSTGRES_UID,
            group: POSTGRES_UID,
            fsGroup: POSTGRES_UID,
          }),
        }
      : options.tls || options.passwords.kind === 'generated'
        ? // The server starts as root and drops to uid 70; the group makes keys and passwords readable.
          { securityContext: { fsGroup: POSTGRES_UID } }
        : {}),
    containers: [server, roles],
    volumes,
  };
}

/** A checksum over secret values, for a pod-template annotation: never the values themselves. */
export function credentialsChecksum(values: readonly string[]): string {
  const hash = createHash('sha256');
  for (const value of values) hash.update(`${value.length}:${value}`);
  return hash.digest('hex');
}

export interface TlsPostgresArgs {
  context: StackContext;
  provider: k8s.Provider;
  image: string;
  /** Required when db-tls is on: issues the server certificate. */
  ca?: CertificateAuthority;
  storageClassName?: string;
  storageSize?: string;
}

export class TlsPostgres extends pulumi.ComponentResource {
  public readonly serviceName: pulumi.Output<string>;
  public readonly host: string;
  public readonly port = POSTGRES_PORT;
  public readonly database = DATABASE;
  public readonly tls: boolean;
  /** Passwords by role (generated, or the workshop default without generated-secrets). */
  public readonly passwords: Record<DbRole, pulumi.Output<string>>;
  public readonly credentialsSecretName: pulumi.Output<string> | undefined;
  public readonly statefulSet: k8s.apps.v1.StatefulSet;

  private readonly generated: boolean;

  constructor(name: string, args: TlsPostgresArgs, opts?: pulumi.ComponentResourceOptions) {
    super('secure-workshop:index:TlsPostgres', name, {}, opts);
    const { context } = args;
    const k8sOpts = { parent: this, provider: args.provider };
    const has = (id: Parameters<typeof context.controls.has>[0]) => context.controls.has(id);
    if (has('db-tls') && !args.ca)
      throw new Error('TlsPostgres: db-tls needs a CertificateAuthority (args.ca)');
    this.tls = has('db-tls');
    this.generated = has('generated-secrets');
    this.host = POSTGRES_NAME;
    const dependsOn: pulumi.Resource[] = [];

    if (this.generated) {
      const password = (role: DbRole) =>
        new random.RandomPassword(
          `${name}-${role}-password`,
          { length: 32, special: false },
          { parent: this },
        ).result;
      this.passwords = {
        superuser: password('superuser'),
        owner: password('owner'),
        app: password('app'),
        firewall: password('firewall'),
      };
      const credentials = new k8s.core.v1.Secret(
        `${name}-credentials`,
        {
          metadata: objectMeta(
            context,
            CREDENTIALS_SECRET,
            POSTGRES_NAME,
            controlTrail(context).record('generated-secrets'),
          ),
          type: 'Opaque',
          // Each role's password (the server and the roles container) and its libpq password file
          // (the clients: PGPASSFILE, so no password sits in a pod's environment).
          stringData: Object.fromEntries(
            ROLES.flatMap((role) => [
              [`${role}-password`, this.passwords[role]],
              [
                `${role}.pgpass`,
                this.passwords[role].apply((password) =>
                  passfileLine(POSTGRES_NAME, POSTGRES_PORT, ROLE_NAMES[role], password),
                ),
              ],
            ]),
          ),
        },
        k8sOpts,
      );
      dependsOn.push(credentials);
      this.credentialsSecretName = credentials.metadata.name;
    } else {
      const workshop = pulumi.output(WORKSHOP_DEFAULT_PASSWORD);
      this.passwords = { superuser: workshop, owner: workshop, app: workshop, firewall: workshop };
      this.credentialsSecretName = undefined;
    }

    const rolesConfig = new k8s.core.v1.ConfigMap(
      `${name}-roles`,
      {
        // The same script in every stack; under generated-secrets it applies the generated passwords.
        metadata: objectMeta(
          context,
          `${POSTGRES_NAME}-roles`,
          POSTGRES_NAME,
          controlTrail(context).record('generated-secrets'),
        ),
        data: { 'apply-roles.sh': rolesScript(), 'roles.sql': rolesSql() },
      },
      k8sOpts,
    );
    dependsOn.push(rolesConfig);

    const podControls = controlTrail(context);
    podControls.ifOn('generated-secrets');
    if (podControls.ifOn('db-tls') && args.ca) {
      dependsOn.push(
        args.ca.certificate(
          `${name}-certificate`,
          {
            secretName: `${POSTGRES_NAME}-tls`,
            dnsNames: serviceDnsNames(POSTGRES_NAME, context.namespace),
            usage: 'server',
            app: POSTGRES_NAME,
            controls: ['db-tls'],
          },
          this,
        ),
        new k8s.core.v1.ConfigMap(
          `${name}-hba`,
          {
            metadata: objectMeta(
              context,
              `${POSTGRES_NAME}-hba`,
              POSTGRES_NAME,
              controlTrail(context).record('db-tls'),
            ),
            data: { 'pg_hba.conf': tlsOnlyHba() },
          },
          k8sOpts,
        ),
      );
    }
    const hardened = podControls.ifOn('pod-hardening');
    if (hardened) {
      dependsOn.push(workloadServiceAccount(`${name}-service-account`, context, POSTGRES_NAME, k8sOpts));
    }

    const podSpec = postgresPodSpec({
      image: args.image,
      tls: this.tls,
      hardened,
      passwords: this.generated ? { kind: 'generated', secretName: CREDENTIALS_SECRET } : { kind: 'default' },
      rolesConfigMap: `${POSTGRES_NAME}-roles`,
    });
    // Secret where the passwords are (it changes on every render otherwise); the default's is plain.
    // Secret like what it is computed from (and masked in offline renders, where passwords change every run).
    const checksum = pulumi.secret(
      pulumi
        .all(ROLES.map((role) => this.passwords[role]))
        .apply((values) => credentialsChecksum([rolesScript(), rolesSql(), ...values])),
    );
    const meta = objectMeta(context, POSTGRES_NAME, POSTGRES_NAME, podControls, [
      WAIVERS.pullPolicy,
      WAIVERS.postgresUid,
    ]);
    this.statefulSet = new k8s.apps.v1.StatefulSet(
      `${name}-statefulset`,
      {
        metadata: meta,
        spec: {
          serviceName: POSTGRES_NAME,
          replicas: 1,
          selector: { matchLabels: selectorLabels(POSTGRES_NAME) },
          template: {
            metadata: {
              labels: meta.labels,
              // Only the checksum is an Output (a secret): the controls beside it stay readable.
              annotations: { ...podControls.annotations(), [CREDENTIALS_CHECKSUM_ANNOTATION]: checksum },
            },
            spec: podSpec,
          },
          volumeClaimTemplates: [
            {
              metadata: { name: 'data', labels: selectorLabels(POSTGRES_NAME) },
              spec: {
                accessModes: ['ReadWriteOnce'],
                ...(args.storageClassName ? { storageClassName: args.storageClassName } : {}),
                resources: { requests: { storage: args.storageSize ?? '1Gi' } },
              },
            },
          ],
        },
      },
      { ...k8sOpts, dependsOn },
    );

    const service = new k8s.core.v1.Service(
      `${name}-service`,
      {
        metadata: objectMeta(
          context,
          POSTGRES_NAME,
          POSTGRES_NAME,
          controlTrail(context).record(...(this.tls ? (['db-tls'] as const) : [])),
        ),
        spec: {
          type: 'ClusterIP',
          selector: selectorLabels(POSTGRES_NAME),
          ports: [{ name: 'postgres', port: POSTGRES_PORT, targetPort: 'postgres', protocol: 'TCP' }],
        },
      },
      k8sOpts,
    );
    this.serviceName = service.metadata.name;

    this.registerOutputs({
      serviceName: this.serviceName,
      credentialsSecretName: this.credentialsSecretName,
    });
  }

  /** The libpq environment (and CA file) a client connecting as `role` needs. */
  clientFor(role: DbRole, caMountPath: string): DbClient {
    const user = ROLE_NAMES[role];
    const env: EnvVar[] = [
      literalEnv('PGHOST', this.host),
      literalEnv('PGPORT', String(POSTGRES_PORT)),
      literalEnv('PGDATABASE', DATABASE),
      literalEnv('PGUSER', user),
      this.generated
        ? literalEnv('PGPASSFILE', `${CLIENT_CREDENTIALS_DIR}/${role}.pgpass`)
        : literalEnv('PGPASSWORD', WORKSHOP_DEFAULT_PASSWORD),
    ];
    // Root-owned and group-readable (the pod's fsGroup): the one shape the apps accept from a Secret.
    const volumes: Volume[] = this.generated
      ? [
          {
            name: 'db-credentials',
            secret: {
              secretName: CREDENTIALS_SECRET,
              defaultMode: 0o440,
              items: [{ key: `${role}.pgpass`, path: `${role}.pgpass` }],
            },
          },
        ]
      : [];
    const mounts: VolumeMount[] = this.generated
      ? [{ name: 'db-credentials', mountPath: CLIENT_CREDENTIALS_DIR, readOnly: true }]
      : [];
    const base = {
      host: this.host,
      port: POSTGRES_PORT,
      database: DATABASE,
      user,
      tls: this.tls,
      credentialsChecksum: pulumi.secret(
        this.passwords[role].apply((password) => credentialsChecksum([user, password])),
      ),
    };
    if (!this.tls) {
      env.push(literalEnv('PGSSLMODE', 'disable'));
      return { ...base, env, volumes, mounts };
    }
    const ca = caBundleVolume(caMountPath);
    env.push(literalEnv('PGSSLMODE', 'verify-full'), literalEnv('PGSSLROOTCERT', ca.file));
    return { ...base, env, volumes: [...volumes, ca.volume], mounts: [...mounts, ca.mount] };
  }
}
