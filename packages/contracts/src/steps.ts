// The workshop's path from start to end: which controls each step of docs/guide.md turns on.
import { CONTROL_IDS, type ControlId, type OwaspCategory, resolveControls } from './controls';

export interface GuideStep {
  /** 1..6; step 0 is the start stack (no control), the last step reaches the end stack. */
  number: number;
  /** The stack file of this step (`Pulumi.<stack>.yaml`): the last step's is `end`. */
  stack: string;
  /** OWASP category, or the book chapter's theme for the last step. */
  theme: OwaspCategory | 'zero trust';
  title: string;
  /** Controls this step adds, in the order they are added (each after what it requires). */
  adds: readonly ControlId[];
}

export const START_STACK = 'start';
export const END_STACK = 'end';

export const GUIDE_STEPS: readonly GuideStep[] = [
  {
    number: 1,
    stack: 'step1',
    theme: 'A01',
    title: 'Broken Access Control',
    adds: ['authn-jwt', 'authz-scopes'],
  },
  {
    number: 2,
    stack: 'step2',
    theme: 'A02',
    title: 'Cryptographic Failures',
    adds: ['tls-in-transit', 'db-tls'],
  },
  {
    number: 3,
    stack: 'step3',
    theme: 'A04',
    title: 'Insecure Design',
    adds: ['network-policies', 'db-firewall', 'api-gateway'],
  },
  {
    number: 4,
    stack: 'step4',
    theme: 'A05',
    title: 'Security Misconfiguration',
    adds: ['security-headers', 'pod-hardening'],
  },
  {
    number: 5,
    stack: 'step5',
    theme: 'A09',
    title: 'Security Logging and Monitoring Failures',
    adds: ['observability'],
  },
  {
    number: 6,
    stack: END_STACK,
    theme: 'zero trust',
    title: 'zero trust (book chapter)',
    adds: ['mtls-internal', 'generated-secrets', 'encrypted-backups'],
  },
];

export const LAST_STEP = GUIDE_STEPS.length;

/** Every control in the order the guide adds them: the order the diff attributes changes in. */
export const GUIDE_ORDER: readonly ControlId[] = GUIDE_STEPS.flatMap((step) => step.adds);

export class StepError extends Error {
  override readonly name = 'StepError';
}

/** The controls a stack at `step` has (0 = start), in catalog order. */
export function controlsAtStep(step: number): ControlId[] {
  if (!Number.isInteger(step) || step < 0 || step > LAST_STEP) {
    throw new StepError(`step must be a whole number from 0 to ${LAST_STEP}, got ${String(step)}`);
  }
  return resolveControls(GUIDE_STEPS.slice(0, step).flatMap((entry) => entry.adds));
}

/** The stack names of the path, start first: start, step1 ... step5, end. */
export function stepStacks(): string[] {
  return [START_STACK, ...GUIDE_STEPS.map((step) => step.stack)];
}

/** Sanity of the table itself: every control exactly once, each added after what it requires. */
export function checkGuideSteps(steps: readonly GuideStep[] = GUIDE_STEPS): void {
  const seen: ControlId[] = [];
  for (const step of steps) {
    for (const id of step.adds) {
      if (seen.includes(id)) throw new StepError(`control "${id}" is added twice`);
      seen.push(id);
      resolveControls(seen);
    }
  }
  const missing = CONTROL_IDS.filter((id) => !seen.includes(id));
  if (missing.length > 0) throw new StepError(`the guide never adds ${missing.join(', ')}`);
}
