// Encrypted database backups: a nightly dump encrypted with a generated key, and a restore check.
import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';
import * as random from '@pulumi/random';
import { WAIVERS, checkovAnnotations } from '../lib/checkov';
import { ControlTrail, appLabels, selectorLabels } from '../lib/labels';
import type { StackContext } from '../lib/workload';
import {
  RESOURCE_PRESETS,
  restrictedContainerSecurityContext,
  restrictedPodSecurityContext,
  scratchVolume,
} from '../lib/pod-security';
import type { DbClient } from './tls-postgres';

type EnvVar = k8s.types.input.core.v1.EnvVar;
type Volume = k8s.types.input.core.v1.Volume;
type PodSpec = k8s.types.input.core.v1.PodSpec;

export const BACKUP_NAME = 'backup';
export const RESTORE_CHECK_NAME = 'restore-check';
export const BACKUP_UID = 10001;
export const BACKUP_DIR = '/backups';
export const KEY_DIR = '/etc/backup-key';
export const KEY_FILE = `${KEY_DIR}/key`;
export const CA_DIR = '/etc/workshop-ca';

/** The parts of a database client (TlsPostgres.clientFor) the backup pods use. */
export type DatabaseClient = Pick<DbClient, 'env' | 'volumes' | 'mounts' | 'tls'>;

export interface EncryptedBackupsArgs {
  context: StackContext;
  provider: k8s.Provider;
  image: string;
  /** The role that dumps: it must read every table (the database owner). */
  backupClient: DatabaseClient;
  /** The role that restores into the scratch database: it must be allowed to create databases. */
  restoreClient: DatabaseClient;
  schedule?: string;
  restoreCheckSchedule?: string;
  retention?: number;
  storageSize?: string;
  storageClassName?: string;
  scratchDatabase?: string;
}

export function checkEncryptedBackupsArgs(args: EncryptedBackupsArgs): void {
  if (!args.context.controls.has('encrypted-backups'))
    throw new Error('EncryptedBackups needs the encrypted-backups control');
  const retention = args.retention ?? 7;
  if (!Number.isInteger(retention) || retention < 1)
    throw new Error('backup retention must be a positive integer');
  for (const [role, client] of [
    ['backupClient', args.backupClient],
    ['restoreClient', args.restoreClient],
  ] as const) {
    if (!client.tls) {
      throw new Error(`EncryptedBackups ${role} must connect with PGSSLMODE=verify-full (db-tls)`);
    }
  }
}

export interface BackupPodOptions {
  command: 'backup' | 'restore-check';
  image: string;
  client: DatabaseClient;
  keySecretName: pulumi.Input<string>;
  claimName: pulumi.Input<string>;
  retention: number;
  scratchDatabase: string;
}

/** The pod of either job: restricted, read-only root, key from a Secret file, dumps on the PVC. */
export function backupPodSpec(options: BackupPodOptions): PodSpec {
  const tmp = scratchVolume('tmp', '/tmp');
  // The restore check writes a decrypted dump to /tmp before restoring it: room for a dump.
  const tmpVolume: Volume = {
    ...tmp.volume,
    emptyDir: { sizeLimit: options.command === 'restore-check' ? '1Gi' : '64Mi' },
  };
  const env: EnvVar[] = [
    ...options.client.env,
    { name: 'BACKUP_DIR', value: BACKUP_DIR },
    { name: 'BACKUP_KEY_FILE', value: KEY_FILE },
    { name: 'BACKUP_RETENTION', value: String(options.retention) },
    { name: 'RESTORE_SCRATCH_DATABASE', value: options.scratchDatabase },
    { name: 'TMPDIR', value: '/tmp' },
  ];
  return {
    serviceAccountName: BACKUP_NAME,
    automountServiceAccountToken: false,
    restartPolicy: 'Never',
    securityContext: restrictedPodSecurityContext({ user: BACKUP_UID, fsGroup: BACKUP_UID }),
    containers: [
      {
        name: options.command,
        image: options.image,
        imagePullPolicy: 'IfNotPresent',
        args: [options.command],
        env,
        securityContext: restrictedContainerSecurityContext(),
        resources: RESOURCE_PRESETS.job,
        volumeMounts: [
          { name: 'backups', mountPath: BACKUP_DIR, readOnly: options.command === 'restore-check' },
          { name: 'key', mountPath: KEY_DIR, readOnly: true },
          tmp.mount,
          ...options.client.mounts,
        ],
      },
    ],
    volumes: [
      { name: 'backups', persistentVolumeClaim: { claimName: options.claimName } },
      { name: 'key', secret: { secretName: options.keySecretName, defaultMode: 0o400 } },
      tmpVolume,
      ...options.client.volumes,
    ],
  };
}

export class EncryptedBackups extends pulumi.ComponentResource {
  public readonly cronJobName: pulumi.Output<string>;
  public readonly restoreCheckName: pulumi.Output<string>;
  public readonly keySecretName: pulumi.Output<string>;
  public readonly claimName: pulumi.Output<string>;
  public readonly cronJobs: k8s.batch.v1.CronJob[];

  constructor(name: string, args: EncryptedBackupsArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super('secure-workshop:index:EncryptedBackups', name, {}, opts);
    checkEncryptedBackupsArgs(args);
    const { context } = args;
    const childOpts: pulumi.CustomResourceOptions = { parent: this, provider: args.provider };
    const annotations = new ControlTrail(context.controls)
      .record('encrypted-backups', 'db-tls')
      .annotations();
    const meta = (objectName: string) => ({
      name: objectName,
      namespace: context.namespaceRef ?? context.namespace,
      labels: appLabels(BACKUP_NAME, context.stack),
      annotations,
    });
    const retention = args.retention ?? 7;
    const scratchDatabase = args.scratchDatabase ?? 'restore_check';

    // 32 random bytes, base64: the AES-256-GCM key the job reads from a file.
    const key = new random.RandomBytes(`${name}-key`, { length: 32 }, { parent: this });
    const keySecret = new k8s.core.v1.Secret(
      `${name}-key`,
      {
        metadata: {
          ...meta('backup-key'),
          annotations: new ControlTrail(context.controls)
            .record('encrypted-backups', 'generated-secrets')
            .annotations(),
        },
        type: 'Opaque',
        stringData: { key: key.base64 },
      },
      childOpts,
    );
    const claim = new k8s.core.v1.PersistentVolumeClaim(
      `${name}-volume`,
      {
        metadata: meta('backups'),
        spec: {
          accessModes: ['ReadWriteOnce'],
          resources: { requests: { storage: args.storageSize ?? '1Gi' } },
          ...(args.storageClassName ? { storageClassName: args.storageClassName } : {}),
        },
      },
      childOpts,
    );
    new k8s.core.v1.ServiceAccount(
      `${name}-account`,
      { metadata: meta(BACKUP_NAME), automountServiceAccountToken: false },
      childOpts,
    );

    // Both jobs are parts of the backup workload: the component label says so to the policies.
    const jobLabels = (command: string) => ({
      ...appLabels(command, context.stack),
      ...selectorLabels(command),
      'app.kubernetes.io/component': BACKUP_NAME,
    });
    const cronJob = (
      part: string,
      command: 'backup' | 'restore-check',
      schedule: string,
      client: DatabaseClient,
    ) =>
      new k8s.batch.v1.CronJob(
        `${name}-${part}`,
        {
          metadata: {
            ...meta(command),
            labels: jobLabels(command),
            annotations: {
              ...annotations,
              ...checkovAnnotations([WAIVERS.pullPolicy, WAIVERS.localImageDigest]),
            },
          },
          spec: {
            schedule,
            concurrencyPolicy: 'Forbid',
            startingDeadlineSeconds: 600,
            successfulJobsHistoryLimit: 3,
            failedJobsHistoryLimit: 3,
            jobTemplate: {
              spec: {
                backoffLimit: 1,
                activeDeadlineSeconds: 3600,
                template: {
                  metadata: { labels: jobLabels(command), annotations },
                  spec: backupPodSpec({
                    command,
                    image: args.image,
                    client,
                    keySecretName: keySecret.metadata.name,
                    claimName: claim.metadata.name,
                    retention,
                    scratchDatabase,
                  }),
                },
              },
            },
          },
        },
        childOpts,
      );

    const backup = cronJob('cronjob', 'backup', args.schedule ?? '17 2 * * *', args.backupClient);
    // Daily, half an hour after the backup: an untested backup is not a backup.
    const check = cronJob(
      'restore-check',
      'restore-check',
      args.restoreCheckSchedule ?? '47 2 * * *',
      args.restoreClient,
    );

    this.cronJobs = [backup, check];
    this.cronJobName = backup.metadata.name;
    this.restoreCheckName = check.metadata.name;
    this.keySecretName = keySecret.metadata.name;
    this.claimName = claim.metadata.name;
    this.registerOutputs({
      cronJobName: this.cronJobName,
      restoreCheckName: this.restoreCheckName,
      keySecretName: this.keySecretName,
      claimName: this.claimName,
    });
  }
}
