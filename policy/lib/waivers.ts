import type { ReportViolation, ResourceValidation, StackValidation } from '@pulumi/policy';
import { asRecord, asString, type PropertyBag } from './values';

/** `secure-workshop.dev/waive-<policy-name>: "<reason>"` waives one policy for one object. */
export const waiverAnnotationPrefix = 'secure-workshop.dev/waive-';

export function waiverAnnotation(policyName: string): string {
  return `${waiverAnnotationPrefix}${policyName}`;
}

export type Waiver =
  { state: 'none' } | { state: 'waived'; reason: string } | { state: 'invalid'; annotation: string };

export function waiverOf(props: PropertyBag, policyName: string): Waiver {
  const annotations = asRecord(asRecord(props.metadata)?.annotations);
  const annotation = waiverAnnotation(policyName);
  if (!annotations || !(annotation in annotations)) return { state: 'none' };
  const reason = asString(annotations[annotation])?.trim() ?? '';
  return reason === '' ? { state: 'invalid', annotation } : { state: 'waived', reason };
}

function invalidWaiverMessage(annotation: string, policyName: string): string {
  return `annotation "${annotation}" has no reason, so it does not waive ${policyName}; write why the exception is safe`;
}

/** Skips a resource policy for an object that waives it with a reason; a reasonless waiver is reported. */
export function withResourceWaiver(policyName: string, validate: ResourceValidation): ResourceValidation {
  return (args, reportViolation) => {
    const waiver = waiverOf(args.props, policyName);
    if (waiver.state === 'waived') return;
    if (waiver.state === 'invalid') reportViolation(invalidWaiverMessage(waiver.annotation, policyName));
    return validate(args, reportViolation);
  };
}

/** Drops stack-policy violations reported against an object that waives the policy with a reason. */
export function withStackWaivers(policyName: string, validate: StackValidation): StackValidation {
  return (args, reportViolation) => {
    const waivers = new Map(
      args.resources.map((resource) => [resource.urn, waiverOf(resource.props, policyName)]),
    );
    for (const [urn, waiver] of waivers) {
      if (waiver.state === 'invalid')
        reportViolation(invalidWaiverMessage(waiver.annotation, policyName), urn);
    }
    const filtered: ReportViolation = (message, urn) => {
      if (urn !== undefined && waivers.get(urn)?.state === 'waived') return;
      reportViolation(message, urn);
    };
    return validate(args, filtered);
  };
}
