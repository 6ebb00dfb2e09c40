import { defineResourcePolicy } from '../lib/define';
import { k8sTypes, metadataOf } from '../lib/k8s';

const enforceLabel = 'pod-security.kubernetes.io/enforce';

export const namespacePodSecurity = defineResourcePolicy({
  name: 'namespace-pod-security',
  description: 'Namespaces the program creates enforce the restricted Pod Security Standard.',
  control: 'pod-hardening',
  remediation: `Label the namespace ${enforceLabel}: restricted so the API server rejects non-conforming pods.`,
  validateResource: (args, reportViolation) => {
    if (args.type !== k8sTypes.namespace) return;
    const meta = metadataOf(args.props);
    const level = meta.labels[enforceLabel];
    if (level !== 'restricted') {
      reportViolation(
        `Namespace ${meta.name ?? args.name}: label ${enforceLabel} is ${level ? `"${level}"` : 'missing'}, expected "restricted"`,
      );
    }
  },
});
