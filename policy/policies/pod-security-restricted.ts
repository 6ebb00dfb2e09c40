import { defineResourcePolicy } from '../lib/define';
import { asArray, asRecord, asRecords, asString, at, isTrue } from '../lib/values';
import { workloadOf } from '../lib/workloads';

/** Volume types the Pod Security Standard `restricted` allows. */
export const allowedVolumeTypes = [
  'configMap',
  'csi',
  'downwardAPI',
  'emptyDir',
  'ephemeral',
  'persistentVolumeClaim',
  'projected',
  'secret',
];

const allowedSeccompTypes = ['RuntimeDefault', 'Localhost'];

export const podSecurityRestricted = defineResourcePolicy({
  name: 'pod-security-restricted',
  description:
    'Pods meet the restricted Pod Security Standard: non-root, no privilege escalation, capabilities dropped, seccomp, read-only root file system, no host namespaces, paths or ports, allowed volume types only.',
  control: 'pod-hardening',
  remediation:
    'Use the pod-hardening security context (runAsNonRoot, allowPrivilegeEscalation: false, drop ALL, seccomp RuntimeDefault, readOnlyRootFilesystem) and only restricted volume types.',
  validateResource: (args, reportViolation) => {
    const workload = workloadOf(args);
    if (!workload) return;
    const { podSpec, label } = workload;
    const podContext = asRecord(podSpec.securityContext) ?? {};
    for (const field of ['hostNetwork', 'hostPID', 'hostIPC']) {
      if (isTrue(podSpec[field])) reportViolation(`${label}: ${field} must not be true`);
    }
    for (const volume of asRecords(podSpec.volumes)) {
      const types = Object.keys(volume).filter((key) => key !== 'name');
      for (const type of types.filter((key) => !allowedVolumeTypes.includes(key))) {
        reportViolation(
          `${label}: volume "${asString(volume.name)}" uses ${type}, not an allowed volume type`,
        );
      }
    }
    const podUser = podContext.runAsUser;
    for (const { kind, name, spec } of workload.containers) {
      const where = `${label} ${kind === 'containers' ? 'container' : kind.replace(/s$/, '')} "${name}"`;
      const context = asRecord(spec.securityContext) ?? {};
      if (isTrue(context.privileged)) reportViolation(`${where}: privileged must not be true`);
      if (context.allowPrivilegeEscalation !== false && context.allowPrivilegeEscalation !== 'false') {
        reportViolation(`${where}: allowPrivilegeEscalation must be false`);
      }
      if (!isTrue(context.runAsNonRoot ?? podContext.runAsNonRoot)) {
        reportViolation(`${where}: runAsNonRoot must be true (container or pod securityContext)`);
      }
      const user = context.runAsUser ?? podUser;
      if (user === 0 || user === '0') reportViolation(`${where}: runAsUser must not be 0`);
      if (!isTrue(context.readOnlyRootFilesystem)) {
        reportViolation(`${where}: readOnlyRootFilesystem must be true`);
      }
      const drop = asArray(at(context, 'capabilities', 'drop')).map((cap) => asString(cap));
      if (!drop.includes('ALL')) reportViolation(`${where}: capabilities.drop must include ALL`);
      for (const added of asArray(at(context, 'capabilities', 'add')).map((cap) => asString(cap))) {
        if (added !== 'NET_BIND_SERVICE') reportViolation(`${where}: capability ${added} must not be added`);
      }
      const seccomp = asString(
        at(context, 'seccompProfile', 'type') ?? at(podContext, 'seccompProfile', 'type'),
      );
      if (!seccomp || !allowedSeccompTypes.includes(seccomp)) {
        reportViolation(`${where}: seccompProfile.type must be RuntimeDefault or Localhost`);
      }
      const appArmor = asString(
        at(context, 'appArmorProfile', 'type') ?? at(podContext, 'appArmorProfile', 'type'),
      );
      if (appArmor === 'Unconfined') reportViolation(`${where}: appArmorProfile must not be Unconfined`);
      for (const port of asRecords(spec.ports)) {
        const hostPort = port.hostPort;
        if (hostPort !== undefined && hostPort !== 0 && hostPort !== '0') {
          reportViolation(`${where}: hostPort ${asString(hostPort)} must not be used`);
        }
      }
    }
  },
});
