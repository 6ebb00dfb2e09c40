import * as k8s from '@pulumi/kubernetes';
import { describe, expect, it } from 'vitest';
import { findObject, runProgram, type RecordedResource } from '../testing/mocks';
import { controlSet, withRequirements } from '@secure-workshop/contracts';
import { EncryptedBackups, checkEncryptedBackupsArgs, type DatabaseClient } from './encrypted-backups';

function client(user: string, sslmode = 'verify-full'): DatabaseClient {
  return {
    tls: sslmode === 'verify-full',
    env: [
      { name: 'PGHOST', value: 'postgres' },
      { name: 'PGPORT', value: '5432' },
      { name: 'PGDATABASE', value: 'bank' },
      { name: 'PGUSER', value: user },
      {
        name: 'PGPASSWORD',
        valueFrom: { secretKeyRef: { name: 'postgres-credentials', key: `${user}-password` } },
      },
      { name: 'PGSSLMODE', value: sslmode },
      { name: 'PGSSLROOTCERT', value: '/etc/workshop-ca/ca.crt' },
    ],
    volumes: [{ name: 'workshop-ca', configMap: { name: 'workshop-ca' } }],
    mounts: [{ name: 'workshop-ca', mountPath: '/etc/workshop-ca', readOnly: true }],
  };
}

const controls = controlSet(withRequirements('encrypted-backups'));

async function render() {
  return runProgram({
    stack: 'end',
    config: {},
    program: () => {
      const provider = new k8s.Provider('k8s', {});
      const backups = new EncryptedBackups('backups', {
        context: { stack: 'end', namespace: 'workshop-end', controls },
        provider,
        image: 'secure-workshop/backup:0.1.0',
        backupClient: client('owner'),
        restoreClient: client('superuser'),
        retention: 5,
      });
      return { cronJob: backups.cronJobName };
    },
  });
}

interface PodTemplate {
  metadata: { labels: Record<string, string> };
  spec: {
    automountServiceAccountToken: boolean;
    securityContext: Record<string, unknown>;
    containers: Array<{
      args: string[];
      image: string;
      env: Array<{ name: string; value?: string; valueFrom?: unknown }>;
      securityContext: Record<string, unknown>;
      resources: { limits: Record<string, string> };
      volumeMounts: Array<{ name: string; mountPath: string; readOnly?: boolean }>;
    }>;
    volumes: Array<Record<string, unknown>>;
  };
}

function podOf(cronJob: RecordedResource | undefined): PodTemplate {
  expect(cronJob).toBeDefined();
  return (cronJob?.inputs.spec as { jobTemplate: { spec: { template: PodTemplate } } }).jobTemplate.spec
    .template;
}

describe('EncryptedBackups under the mock runtime', () => {
  it('runs a restricted, read-only backup CronJob over verify-full TLS with the key from a Secret file', async () => {
    const run = await render();
    expect(run.warnings).toEqual([]);
    const cronJob = findObject(run.resources, 'CronJob', 'backup');
    expect(cronJob?.inputs.spec).toMatchObject({ concurrencyPolicy: 'Forbid', schedule: '17 2 * * *' });
    const pod = podOf(cronJob);
    expect(pod.metadata.labels['app.kubernetes.io/name']).toBe('backup');
    expect(pod.spec.automountServiceAccountToken).toBe(false);
    expect(pod.spec.securityContext).toMatchObject({
      runAsNonRoot: true,
      runAsUser: 10001,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    const [container] = pod.spec.containers;
    expect(container?.args).toEqual(['backup']);
    expect(container?.securityContext).toMatchObject({
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
    });
    expect(container?.resources.limits).toBeDefined();
    const env = Object.fromEntries((container?.env ?? []).map((e) => [e.name, e.value ?? e.valueFrom]));
    expect(env).toMatchObject({
      PGSSLMODE: 'verify-full',
      PGSSLROOTCERT: '/etc/workshop-ca/ca.crt',
      BACKUP_KEY_FILE: '/etc/backup-key/key',
      BACKUP_DIR: '/backups',
      BACKUP_RETENTION: '5',
      TMPDIR: '/tmp',
    });
    expect(env.PGPASSWORD).toEqual({ secretKeyRef: { name: 'postgres-credentials', key: 'owner-password' } });
    expect(container?.volumeMounts.map((m) => m.mountPath)).toEqual(
      expect.arrayContaining(['/backups', '/etc/backup-key', '/tmp', '/etc/workshop-ca']),
    );
    expect(pod.spec.volumes).toEqual(
      expect.arrayContaining([
        { name: 'backups', persistentVolumeClaim: { claimName: 'backups' } },
        { name: 'key', secret: { secretName: 'backup-key', defaultMode: 0o400 } },
      ]),
    );
    expect(
      (cronJob?.inputs.metadata as { annotations: Record<string, string> }).annotations[
        'secure-workshop.dev/controls'
      ],
    ).toBe('db-tls,encrypted-backups');
  });

  it('generates a 32-byte key into a Secret and keeps dumps on their own PVC', async () => {
    const run = await render();
    const bytes = run.resources.find((r) => r.type === 'random:index/randomBytes:RandomBytes');
    expect(bytes?.inputs.length).toBe(32);
    const secret = findObject(run.resources, 'Secret', 'backup-key');
    const key = (secret?.inputs.stringData as { key: string }).key;
    expect(Buffer.from(key, 'base64')).toHaveLength(32);
    expect(JSON.stringify(secret?.redactedInputs)).not.toContain(key);
    expect(findObject(run.resources, 'PersistentVolumeClaim', 'backups')?.inputs.spec).toMatchObject({
      accessModes: ['ReadWriteOnce'],
    });
    expect(findObject(run.resources, 'ServiceAccount', 'backup')?.inputs.automountServiceAccountToken).toBe(
      false,
    );
  });

  it('schedules a restore check that reads the PVC read-only with its own role', async () => {
    const run = await render();
    const pod = podOf(findObject(run.resources, 'CronJob', 'restore-check'));
    const [container] = pod.spec.containers;
    expect(container?.args).toEqual(['restore-check']);
    // Its own name (own NetworkPolicy flow), and the backup component (the policies' backup role).
    expect(pod.metadata.labels).toMatchObject({
      'app.kubernetes.io/name': 'restore-check',
      'app.kubernetes.io/component': 'backup',
    });
    expect(container?.volumeMounts.find((m) => m.name === 'backups')?.readOnly).toBe(true);
    expect(container?.env.find((e) => e.name === 'RESTORE_SCRATCH_DATABASE')?.value).toBe('restore_check');
    expect(container?.env.find((e) => e.name === 'PGUSER')?.value).toBe('superuser');
  });

  it('refuses a client that does not verify the server certificate', () => {
    const args = {
      context: { stack: 's', namespace: 'n', controls },
      provider: undefined as never,
      image: 'i:1',
      backupClient: client('owner', 'require'),
      restoreClient: client('superuser'),
    };
    expect(() => checkEncryptedBackupsArgs(args)).toThrow(
      /backupClient must connect with PGSSLMODE=verify-full/,
    );
    expect(() => checkEncryptedBackupsArgs({ ...args, backupClient: client('owner'), retention: 0 })).toThrow(
      /retention/,
    );
  });
});
