import { defineResourcePolicy } from '../lib/define';
import { k8sTypes, parseImage } from '../lib/k8s';
import { traefikValues } from '../lib/traefik';
import { asRecord, asString, at } from '../lib/values';
import { workloadOf } from '../lib/workloads';

/** A range or an empty version lets new code (and its images) in on the next deploy. */
function isExactVersion(version: string): boolean {
  const trimmed = version.trim();
  return trimmed !== '' && trimmed !== 'latest' && !/[\^~*xX<>|\s]/.test(trimmed);
}

export const imageTagPinned = defineResourcePolicy({
  name: 'image-tag-pinned',
  description:
    'Every container image names a version tag or a digest, never `latest` or nothing; every Helm release and Traefik plugin pins an exact version.',
  control: 'pod-hardening',
  remediation:
    'Pin each image to a release tag (e.g. postgres:16.4) or a sha256 digest, and each chart to an exact version.',
  validateResource: (args, reportViolation) => {
    const traefik = traefikValues(args);
    if (traefik && !(traefik.values instanceof Error)) {
      const plugins = asRecord(at(traefik.values, 'experimental', 'plugins')) ?? {};
      for (const [name, plugin] of Object.entries(plugins)) {
        const version = asString(at(plugin, 'version')) ?? '';
        if (!isExactVersion(version)) {
          reportViolation(`${traefik.label}: plugin ${name} version "${version}" is not an exact version`);
        }
      }
    }
    if (args.type === k8sTypes.helmRelease) {
      const version = asString(args.props.version) ?? '';
      if (!isExactVersion(version)) {
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
