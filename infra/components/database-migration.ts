// The schema migration and seed: a Job of the API image, run as the owner role right after PostgreSQL.
import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';
import { WAIVERS } from '../lib/checkov';
import { containerHardening, podSecurity, scratchVolume } from '../lib/pod-security';
import { type StackContext, controlTrail, objectMeta } from '../lib/workload';
import type { ControlTrail } from '../lib/labels';
import type { DbClient } from './tls-postgres';

type PodSpec = k8s.types.input.core.v1.PodSpec;

export const MIGRATE_NAME = 'migrate';
/** uid of the API image (`USER 10001:10001` in apps/api/Dockerfile). */
export const MIGRATE_UID = 10001;
/** The API image's migration entry point (schema + the workshop's deterministic seed). */
export const MIGRATE_COMMAND = ['node', 'dist/migrate.js', '--seed'];

/** The migrate Job's pod: the API image's migrate command, connecting as the owner. */
export function migratePodSpec(options: { image: string; database: DbClient; hardened: boolean }): PodSpec {
  const tmp = scratchVolume('tmp', '/tmp');
  return {
    restartPolicy: 'Never',
    ...(options.hardened ? { automountServiceAccountToken: false } : {}),
    // The group reads a password file mounted from a Secret (generated-secrets), hardened or not.
    ...podSecurity(
      options.hardened,
      { user: MIGRATE_UID, fsGroup: MIGRATE_UID },
      options.database.volumes.some((volume) => volume.secret !== undefined),
    ),
    containers: [
      {
        name: MIGRATE_NAME,
        image: options.image,
        command: MIGRATE_COMMAND,
        env: options.database.env,
        volumeMounts: [...options.database.mounts, ...(options.hardened ? [tmp.mount] : [])],
        ...containerHardening(options.hardened, 'job', MIGRATE_UID),
      },
    ],
    volumes: [...options.database.volumes, ...(options.hardened ? [tmp.volume] : [])],
  };
}

/** The controls that shape the migrate Job. */
export function migrateControls(context: StackContext, database: DbClient): ControlTrail {
  const controls = controlTrail(context);
  controls.ifOn('pod-hardening');
  if (database.tls) controls.record('db-tls');
  return controls.record('generated-secrets');
}

export interface DatabaseMigrationArgs {
  context: StackContext;
  provider: k8s.Provider;
  /** The API image: it carries the migrate command. */
  image: string;
  /** PostgreSQL directly, as the owner role. */
  database: DbClient;
  /** The database must be up (and its roles applied) before the Job starts. */
  dependsOn: pulumi.Input<pulumi.Resource>[];
}

export class DatabaseMigration extends pulumi.ComponentResource {
  public readonly job: k8s.batch.v1.Job;

  constructor(name: string, args: DatabaseMigrationArgs, opts?: pulumi.ComponentResourceOptions) {
    super('secure-workshop:index:DatabaseMigration', name, {}, opts);
    const { context } = args;
    const controls = migrateControls(context, args.database);
    const meta = objectMeta(context, MIGRATE_NAME, MIGRATE_NAME, controls, [
      WAIVERS.pullPolicy,
      WAIVERS.localImageDigest,
    ]);
    this.job = new k8s.batch.v1.Job(
      `${name}-job`,
      {
        metadata: meta,
        spec: {
          backoffLimit: 6,
          template: {
            metadata: { labels: meta.labels, annotations: controls.annotations() },
            spec: migratePodSpec({
              image: args.image,
              database: args.database,
              hardened: context.controls.has('pod-hardening'),
            }),
          },
        },
      },
      {
        parent: this,
        provider: args.provider,
        dependsOn: args.dependsOn,
        // A Job's template is immutable and its name fixed: replace it by deleting first.
        deleteBeforeReplace: true,
        // It was the SecureApi component's child `api-migrate` before it became a component of its own.
        aliases: [
          { name: 'api-migrate', parent: pulumi.createUrn('api', 'secure-workshop:index:SecureApi') },
        ],
      },
    );
    this.registerOutputs({ jobName: this.job.metadata.name });
  }
}
