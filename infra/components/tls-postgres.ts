// PostgreSQL as a StatefulSet: the workshop's plaintext default-password database, or TLS-only with roles.
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
  applied,
  caBundleVolume,
  literalEnv,
  objectMeta,
  secretEnv,
  workloadServiceAccount,
} from '../lib/workload';
import { selectorLabels } from '../lib/labels';
import { type CertificateAuthority, serviceDnsNames } from './certificate-authority';

type EnvVar = k8s.types.input.core.v1.EnvVar;
type Volume = k8s.types.input.core.v1.Volume;
type VolumeMount = k8s.types.input.core.v1.VolumeMount;

export const POSTGRES_NAME = 'postgres';
export const POSTGRES_PORT = 5432;
export const DATABASE = 'bank';
/** uid/gid of the `postgres` user in the official Alpine image. */
export const POSTGRES_UID = 70;
/** The workshop's default credentials, kept in the start stack on purpose (the policies must catch them). */
export const WORKSHOP_DEFAULT_USER = 'postgres';
export const WORKSHOP_DEFAULT_PASSWORD = 'postgres';

export const ROLE_NAMES = { superuser: 'postgres', owner: 'bank_owner', app: 'bank_app' } as const;
export type DbRole = keyof typeof ROLE_NAMES;

const DATA_DIR = '/var/lib/postgresql/data';
const TLS_DIR = '/etc/postgresql/tls';
const CONF_DIR = '/etc/postgresql/conf';

/** pg_hba that admits only TLS connections with SCRAM passwords (and local SCRAM for init scripts). */
export function tlsOnlyHba(): string {
  return [
    '# TYPE     DATABASE  USER  ADDRESS    METHOD',
    'local      all       all              scram-sha-256',
    'hostssl    all       all   0.0.0.0/0  scram-sha-256',
    'hostssl    all       all   ::/0       scram-sha-256',
    'hostnossl  all       all   0.0.0.0/0  reject',
    'hostnossl  all       all   ::/0       reject',
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
 * First-start script: an owner role (migrations, the firewall) owns the database; an app role gets
 * row access only. Passwords come from the environment, never from the script.
 */
export function rolesInitScript(): string {
  return `#!/bin/sh
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \\
  --set owner_password="$POSTGRES_OWNER_PASSWORD" --set app_password="$POSTGRES_APP_PASSWORD" <<'SQL'
CREATE ROLE ${ROLE_NAMES.owner} LOGIN PASSWORD :'owner_password';
CREATE ROLE ${ROLE_NAMES.app} LOGIN PASSWORD :'app_password';
ALTER DATABASE ${DATABASE} OWNER TO ${ROLE_NAMES.owner};
ALTER SCHEMA public OWNER TO ${ROLE_NAMES.owner};
REVOKE ALL ON DATABASE ${DATABASE} FROM PUBLIC;
GRANT CONNECT ON DATABASE ${DATABASE} TO ${ROLE_NAMES.owner}, ${ROLE_NAMES.app};
GRANT USAGE ON SCHEMA public TO ${ROLE_NAMES.app};
ALTER DEFAULT PRIVILEGES FOR ROLE ${ROLE_NAMES.owner} IN SCHEMA public
  GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO ${ROLE_NAMES.app};
ALTER DEFAULT PRIVILEGES FOR ROLE ${ROLE_NAMES.owner} IN SCHEMA public
  GRANT USAGE, SELECT ON SEQUENCES TO ${ROLE_NAMES.app};
SQL
`;
}

/** How a client pod reaches PostgreSQL: libpq env plus the CA file when TLS is on. */
export interface DbClient {
  env: EnvVar[];
  volumes: Volume[];
  mounts: VolumeMount[];
  user: pulumi.Input<string>;
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
  /** Passwords by role (generated, or the workshop default in the start stack). */
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

    // Secrets: generated per role, or the workshop's default password in plain env.
    let credentialsSecret: k8s.core.v1.Secret | undefined;
    if (this.generated) {
      const password = (role: DbRole) =>
        new random.RandomPassword(
          `${name}-${role}-password`,
          { length: 32, special: false },
          { parent: this },
        ).result;
      this.passwords = { superuser: password('superuser'), owner: password('owner'), app: password('app') };
      const controls = applied(context).mark('generated-secrets');
      credentialsSecret = new k8s.core.v1.Secret(
        `${name}-credentials`,
        {
          metadata: objectMeta(context, `${POSTGRES_NAME}-credentials`, POSTGRES_NAME, controls),
          type: 'Opaque',
          stringData: {
            'superuser-password': this.passwords.superuser,
            'owner-password': this.passwords.owner,
            'app-password': this.passwords.app,
          },
        },
        k8sOpts,
      );
      this.credentialsSecretName = credentialsSecret.metadata.name;
    } else {
      const workshop = pulumi.output(WORKSHOP_DEFAULT_PASSWORD);
      this.passwords = { superuser: workshop, owner: workshop, app: workshop };
      this.credentialsSecretName = undefined;
    }

    const podControls = applied(context);
    const volumes: Volume[] = [];
    const mounts: VolumeMount[] = [{ name: 'data', mountPath: DATA_DIR }];
    const env: EnvVar[] = [literalEnv('POSTGRES_DB', DATABASE), literalEnv('PGDATA', `${DATA_DIR}/pgdata`)];
    if (podControls.use('generated-secrets')) {
      const secretName = `${POSTGRES_NAME}-credentials`;
      env.push(
        literalEnv('POSTGRES_USER', ROLE_NAMES.superuser),
        secretEnv('POSTGRES_PASSWORD', secretName, 'superuser-password'),
        secretEnv('POSTGRES_OWNER_PASSWORD', secretName, 'owner-password'),
        secretEnv('POSTGRES_APP_PASSWORD', secretName, 'app-password'),
      );
      const init = new k8s.core.v1.ConfigMap(
        `${name}-init`,
        {
          metadata: objectMeta(
            context,
            `${POSTGRES_NAME}-init`,
            POSTGRES_NAME,
            applied(context).mark('generated-secrets'),
          ),
          data: { '10-roles.sh': rolesInitScript() },
        },
        k8sOpts,
      );
      volumes.push({ name: 'init', configMap: { name: init.metadata.name, defaultMode: 0o555 } });
      mounts.push({ name: 'init', mountPath: '/docker-entrypoint-initdb.d', readOnly: true });
    } else {
      env.push(
        literalEnv('POSTGRES_USER', WORKSHOP_DEFAULT_USER),
        literalEnv('POSTGRES_PASSWORD', WORKSHOP_DEFAULT_PASSWORD),
      );
    }

    let args_: string[] | undefined;
    const dependsOn: pulumi.Resource[] = [];
    if (podControls.use('db-tls') && args.ca) {
      const certificate = args.ca.certificate(
        `${name}-certificate`,
        {
          secretName: `${POSTGRES_NAME}-tls`,
          dnsNames: serviceDnsNames(POSTGRES_NAME, context.namespace),
          usage: 'server',
          app: POSTGRES_NAME,
          controls: ['db-tls'],
        },
        this,
      );
      const hba = new k8s.core.v1.ConfigMap(
        `${name}-hba`,
        {
          metadata: objectMeta(
            context,
            `${POSTGRES_NAME}-hba`,
            POSTGRES_NAME,
            applied(context).mark('db-tls'),
          ),
          data: { 'pg_hba.conf': tlsOnlyHba() },
        },
        k8sOpts,
      );
      dependsOn.push(certificate);
      // Root-owned 0640 with the postgres group is the one key mode PostgreSQL accepts from a Secret.
      volumes.push(
        { name: 'tls', secret: { secretName: `${POSTGRES_NAME}-tls`, defaultMode: 0o640 } },
        { name: 'hba', configMap: { name: hba.metadata.name } },
      );
      mounts.push(
        { name: 'tls', mountPath: TLS_DIR, readOnly: true },
        { name: 'hba', mountPath: CONF_DIR, readOnly: true },
      );
      args_ = tlsServerArgs();
    }

    const hardened = podControls.use('pod-hardening');
    if (hardened) {
      for (const scratch of [scratchVolume('run', '/var/run/postgresql'), scratchVolume('tmp', '/tmp')]) {
        volumes.push(scratch.volume);
        mounts.push(scratch.mount);
      }
      const serviceAccount = workloadServiceAccount(
        `${name}-service-account`,
        context,
        POSTGRES_NAME,
        k8sOpts,
      );
      dependsOn.push(serviceAccount);
    }

    const podSecurityContext = hardened
      ? restrictedPodSecurityContext({ user: POSTGRES_UID, group: POSTGRES_UID, fsGroup: POSTGRES_UID })
      : this.tls
        ? { fsGroup: POSTGRES_UID }
        : undefined;

    this.statefulSet = new k8s.apps.v1.StatefulSet(
      `${name}-statefulset`,
      {
        metadata: objectMeta(context, POSTGRES_NAME, POSTGRES_NAME, podControls),
        spec: {
          serviceName: POSTGRES_NAME,
          replicas: 1,
          selector: { matchLabels: selectorLabels(POSTGRES_NAME) },
          template: {
            metadata: {
              labels: objectMeta(context, POSTGRES_NAME, POSTGRES_NAME, podControls).labels,
              annotations: podControls.annotations(),
            },
            spec: {
              ...(hardened ? { serviceAccountName: POSTGRES_NAME, automountServiceAccountToken: false } : {}),
              ...(podSecurityContext ? { securityContext: podSecurityContext } : {}),
              containers: [
                {
                  name: POSTGRES_NAME,
                  image: args.image,
                  ...(args_ ? { args: args_ } : {}),
                  ports: [{ name: 'postgres', containerPort: POSTGRES_PORT }],
                  env,
                  volumeMounts: mounts,
                  ...(hardened
                    ? {
                        securityContext: restrictedContainerSecurityContext(),
                        resources: RESOURCE_PRESETS.medium,
                        ...execProbes(['pg_isready', '--host=/var/run/postgresql', `--dbname=${DATABASE}`]),
                      }
                    : {}),
                },
              ],
              volumes,
            },
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
      { ...k8sOpts, dependsOn: [...dependsOn, ...(credentialsSecret ? [credentialsSecret] : [])] },
    );

    const service = new k8s.core.v1.Service(
      `${name}-service`,
      {
        metadata: objectMeta(
          context,
          POSTGRES_NAME,
          POSTGRES_NAME,
          applied(context).mark(...(this.tls ? (['db-tls'] as const) : [])),
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
    const env: EnvVar[] = [
      literalEnv('PGHOST', this.host),
      literalEnv('PGPORT', String(POSTGRES_PORT)),
      literalEnv('PGDATABASE', DATABASE),
    ];
    const user = this.generated ? ROLE_NAMES[role] : WORKSHOP_DEFAULT_USER;
    env.push(literalEnv('PGUSER', user));
    env.push(
      this.generated
        ? secretEnv('PGPASSWORD', `${POSTGRES_NAME}-credentials`, `${role}-password`)
        : literalEnv('PGPASSWORD', WORKSHOP_DEFAULT_PASSWORD),
    );
    if (!this.tls) {
      env.push(literalEnv('PGSSLMODE', 'disable'));
      return { env, volumes: [], mounts: [], user };
    }
    const ca = caBundleVolume(caMountPath);
    env.push(literalEnv('PGSSLMODE', 'verify-full'), literalEnv('PGSSLROOTCERT', ca.file));
    return { env, volumes: [ca.volume], mounts: [ca.mount], user };
  }
}
