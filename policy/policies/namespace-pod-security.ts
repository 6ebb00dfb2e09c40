import { defineStackPolicy } from '../lib/define';
import { k8sTypes, metadataOf } from '../lib/k8s';

const enforceLabel = 'pod-security.kubernetes.io/enforce';
/** The program labels its namespace this way after its workloads are hardened (a NamespacePatch). */
const namespacePatch = 'kubernetes:core/v1:NamespacePatch';

export const namespacePodSecurity = defineStackPolicy({
  name: 'namespace-pod-security',
  description:
    'Namespaces the program creates enforce the restricted Pod Security Standard, on the Namespace or by a patch of it.',
  control: 'pod-hardening',
  remediation: `Label the namespace ${enforceLabel}: restricted so the API server rejects non-conforming pods.`,
  validateStack: (args, reportViolation) => {
    const patched = new Map<string, string | undefined>();
    for (const patch of args.resources.filter((resource) => resource.type === namespacePatch)) {
      const meta = metadataOf(patch.props);
      if (meta.name) patched.set(meta.name, meta.labels[enforceLabel]);
    }
    for (const namespace of args.resources.filter((resource) => resource.type === k8sTypes.namespace)) {
      const meta = metadataOf(namespace.props);
      const name = meta.name ?? namespace.name;
      const level = patched.get(name) ?? meta.labels[enforceLabel];
      if (level !== 'restricted') {
        reportViolation(
          `Namespace ${name}: label ${enforceLabel} is ${level ? `"${level}"` : 'missing'}, expected "restricted"`,
          namespace.urn,
        );
      }
    }
  },
});
