import { defineResourcePolicy } from '../lib/define';
import { k8sTypes, metadataOf } from '../lib/k8s';
import { asString, at, isTrue } from '../lib/values';

const maxLeafHours = 2160;
const unitHours: Record<string, number> = { h: 1, m: 1 / 60, s: 1 / 3600, ms: 1 / 3_600_000 };

/** Parses a Go duration such as "2160h" or "720h0m0s" into hours; undefined when malformed. */
export function durationHours(text: string): number | undefined {
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ms|h|m|s)/g)];
  if (parts.length === 0 || parts.map((part) => part[0]).join('') !== text.trim()) return undefined;
  return parts.reduce((sum, part) => sum + Number(part[1]) * (unitHours[part[2] ?? 'h'] ?? 0), 0);
}

function keyProblem(algorithm: string, size: number): string | undefined {
  if (algorithm === 'RSA' && size < 2048) return `RSA ${size} is shorter than 2048 bits`;
  if (algorithm === 'ECDSA' && size < 256) return `ECDSA P-${size} is weaker than P-256`;
  if (!['RSA', 'ECDSA', 'ED25519'].includes(algorithm))
    return `key algorithm ${algorithm} is not RSA, ECDSA or Ed25519`;
  return undefined;
}

const tlsPrivateKey = 'tls:index/privateKey:PrivateKey';
const tlsCertTypes = [
  'tls:index/selfSignedCert:SelfSignedCert',
  'tls:index/locallySignedCert:LocallySignedCert',
];

export const certificateStrength = defineResourcePolicy({
  name: 'certificate-strength',
  description:
    'Keys are ECDSA P-256+ (or RSA 2048+, Ed25519) and leaf certificates live at most 90 days (2160h).',
  control: 'tls-in-transit',
  remediation:
    'Request ECDSA P-256 keys and duration <= 2160h (renewBefore well below it) for every leaf certificate.',
  validateResource: (args, reportViolation) => {
    if (args.type === k8sTypes.certificate) {
      const meta = metadataOf(args.props);
      const label = `Certificate ${meta.namespace}/${meta.name ?? args.name}`;
      const algorithm = (asString(at(args.props, 'spec', 'privateKey', 'algorithm')) ?? 'RSA').toUpperCase();
      const size = Number(
        asString(at(args.props, 'spec', 'privateKey', 'size')) ?? (algorithm === 'RSA' ? 2048 : 256),
      );
      const problem = keyProblem(algorithm, size);
      if (problem) reportViolation(`${label}: ${problem}`);
      const duration = asString(at(args.props, 'spec', 'duration'));
      if (duration !== undefined && !isTrue(at(args.props, 'spec', 'isCA'))) {
        const hours = durationHours(duration);
        if (hours === undefined) reportViolation(`${label}: duration "${duration}" is not a Go duration`);
        else if (hours > maxLeafHours)
          reportViolation(`${label}: duration ${duration} exceeds 90 days (2160h)`);
      }
      return;
    }
    if (args.type === tlsPrivateKey) {
      const algorithm = (asString(args.props.algorithm) ?? '').toUpperCase();
      // The tls provider's defaults: RSA 2048 bits, ECDSA curve P224.
      const size =
        algorithm === 'ECDSA'
          ? Number((asString(args.props.ecdsaCurve) ?? 'P224').replace(/^P/, ''))
          : Number(asString(args.props.rsaBits) ?? 2048);
      const problem = keyProblem(algorithm, size);
      if (problem) reportViolation(`PrivateKey ${args.name}: ${problem}`);
      return;
    }
    if (tlsCertTypes.includes(args.type) && !isTrue(args.props.isCaCertificate)) {
      const hours = Number(asString(args.props.validityPeriodHours));
      if (hours > maxLeafHours)
        reportViolation(`${args.name}: validityPeriodHours ${hours} exceeds 90 days (2160h)`);
    }
  },
});
