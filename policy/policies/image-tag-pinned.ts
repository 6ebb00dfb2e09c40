import { defineResourcePolicy } from '../lib/define';
import { parseImage } from '../lib/k8s';
import { asString } from '../lib/values';
import { workloadOf } from '../lib/workloads';

export const imageTagPinned = defineResourcePolicy({
  name: 'image-tag-pinned',
  description: 'Every container image names a version tag or a digest, never `latest` or nothing.',
  owaspCategory: 'A05',
  control: 'pod-hardening',
  remediation: 'Pin each image to a release tag (e.g. postgres:16.4) or a sha256 digest.',
  validateResource: (args, reportViolation) => {
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
