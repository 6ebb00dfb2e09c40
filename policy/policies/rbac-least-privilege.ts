import { defineResourcePolicy } from '../lib/define';
import { metadataOf } from '../lib/k8s';
import { asArray, asRecords, asString, at } from '../lib/values';
import { kindOf } from '../lib/workloads';

const rbac = 'kubernetes:rbac.authorization.k8s.io/v1:';
const bindingTypes = [`${rbac}RoleBinding`, `${rbac}ClusterRoleBinding`];
const roleTypes = [`${rbac}Role`, `${rbac}ClusterRole`];
const anonymousSubjects = ['system:anonymous', 'system:unauthenticated'];

export const rbacLeastPrivilege = defineResourcePolicy({
  name: 'rbac-least-privilege',
  description: 'No binding to cluster-admin or to anonymous users, and no wildcard RBAC rules.',
  control: 'pod-hardening',
  remediation: 'Bind a Role that lists the exact apiGroups, resources and verbs the subject needs.',
  validateResource: (args, reportViolation) => {
    const meta = metadataOf(args.props);
    const label = `${kindOf(args.type)} ${meta.name ?? args.name}`;
    if (bindingTypes.includes(args.type)) {
      const role = asString(at(args.props, 'roleRef', 'name'));
      if (role === 'cluster-admin') reportViolation(`${label}: binds cluster-admin`);
      for (const subject of asRecords(args.props.subjects)) {
        const name = asString(subject.name) ?? '';
        if (anonymousSubjects.includes(name)) reportViolation(`${label}: binds ${name}`);
      }
    }
    if (roleTypes.includes(args.type)) {
      for (const rule of asRecords(args.props.rules)) {
        for (const field of ['apiGroups', 'resources', 'verbs', 'nonResourceURLs']) {
          if (asArray(rule[field]).some((item) => asString(item) === '*')) {
            reportViolation(`${label}: rule uses the wildcard "*" in ${field}`);
          }
        }
      }
    }
  },
});
