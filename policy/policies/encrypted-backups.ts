import { defineStackPolicy } from '../lib/define';
import { envOf, isSet, k8sTypes } from '../lib/k8s';
import { asRecords, at } from '../lib/values';
import { workloadsOf, type Workload } from '../lib/workloads';

const keyVariable = /(^|_)(KEY|RECIPIENTS?|PASSPHRASE)(_FILE)?$/;

/** Why a backup CronJob does not keep encrypted copies on its own volume, if it does not. */
function backupProblems(backup: Workload): string[] {
  const problems: string[] = [];
  const volumes = asRecords(backup.podSpec.volumes);
  const keys = backup.containers.flatMap(({ spec }) =>
    [...envOf(spec).values()].filter((entry) => keyVariable.test(entry.name) && isSet(entry)),
  );
  const hasSecretVolume = volumes.some(
    (volume) =>
      volume.secret !== undefined || asRecords(at(volume, 'projected', 'sources')).some((s) => s.secret),
  );
  const keyFromSecret = keys.some(
    (entry) => entry.fromReference || (entry.name.endsWith('_FILE') && hasSecretVolume),
  );
  if (!keyFromSecret)
    problems.push('no encryption key from a Secret (e.g. BACKUP_KEY_FILE on a secret volume)');
  if (!volumes.some((volume) => volume.persistentVolumeClaim !== undefined)) {
    problems.push('no PersistentVolumeClaim to keep the copies on');
  }
  return problems;
}

/** Whether one of the workload's containers mounts a PersistentVolumeClaim writable. */
function writesToAVolumeClaim(workload: Workload): boolean {
  const claims = new Set(
    asRecords(workload.podSpec.volumes)
      .filter((volume) => volume.persistentVolumeClaim !== undefined)
      .map((volume) => volume.name),
  );
  return workload.containers.some(({ spec }) =>
    asRecords(spec.volumeMounts).some((mount) => claims.has(mount.name) && mount.readOnly !== true),
  );
}

export const encryptedBackups = defineStackPolicy({
  name: 'encrypted-backups',
  description:
    'A stack with a database has a backup CronJob that encrypts dumps with a key from a Secret and keeps them on a volume.',
  control: 'encrypted-backups',
  remediation:
    'Turn on encrypted-backups: a backup CronJob with BACKUP_KEY_FILE from a generated Secret and a PVC for the copies.',
  validateStack: (args, reportViolation) => {
    const workloads = workloadsOf(args.resources);
    // A backup writes its copies: a job of the backup workload that only reads them (the restore
    // check mounts the volume read-only) is not one.
    const backups = workloads.filter(
      (w) => w.type === k8sTypes.cronJob && w.role === 'backup' && writesToAVolumeClaim(w),
    );
    for (const postgres of workloads.filter((workload) => workload.role === 'postgres')) {
      const sameNamespace = backups.filter((backup) => backup.meta.namespace === postgres.meta.namespace);
      if (sameNamespace.length === 0) {
        reportViolation(`${postgres.label} holds data but no backup CronJob exists`, postgres.urn);
        continue;
      }
      const problems = sameNamespace.map(backupProblems);
      if (problems.every((list) => list.length > 0)) {
        reportViolation(
          `${postgres.label}: the backup CronJob has ${problems.flat().join('; ')}`,
          postgres.urn,
        );
      }
    }
  },
});
