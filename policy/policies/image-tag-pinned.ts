import { defineResourcePolicy } from '../lib/define';
import { k8sTypes, parseImage } from '../lib/k8s';
import { asString } from '../lib/values';
import { workloadOf } from '../lib/workloads';

export const imageTagPinned = defineResourcePolicy({
  name: 'image-tag-pinned',
  description:
    'Every container image names a version tag or a digest, never `latest` or nothing; every Helm release pins its chart version.',
  owaspCategory: 'A05',
  control: 'pod-hardening',
  remediation:
    'Pin each image to a release tag (e.g. postgres:16.4) or a sha256 digest, and each chart to an exact version.',
  validateResource: (args, reportViolation) => {
    if (args.type === k8sTypes.helmRelease) {
      const version = asString(args.props.version)?.trim() ?? '';
      // A range or an empty version lets a new chart (and its images) in on the next deploy.
      if (version === '' || version === 'latest' || /[\^~*xX<>|\s]/.test(version)) {
        reportViolation(`Helm release ${args.name}: chart version "${version}" is not an exact version`);
      }
      return;
    }
    const workload = workloadOf(args);
    if (!workload) return;
    for (const { name, spec } of workload.containers) {
      const image = asString(spec.image) ?? '';
      const { tag, digest } = parseImage(image);
      if (digest?.startsWith('sha256:')) continue;
      if (!tag || tag === 'latest') {
        reportViolation(
          `${workload.label} container "${name}": image "${image}" is not pinned (${tag ? 'latest' : 'no tag'})`,
        );
      }
    }
  },
});
