// Labels and the control annotation that explain why an object exists or looks the way it does.
import { CONTROL_IDS, type ControlId } from '@secure-workshop/contracts';

export const CONTROLS_ANNOTATION = 'secure-workshop.dev/controls';
/**
 * Pod-template annotations that roll a workload when a credential changes: a sha256 over generated
 * secrets, which changes with them (masked, like them, in offline renders).
 */
export const CHECKSUM_ANNOTATION = /^secure-workshop\.dev\/[a-z-]+-checksum$/;
export const PART_OF = 'secure-workshop';
export const NAME_LABEL = 'app.kubernetes.io/name';

/** Labels every object of a workload carries. */
export function appLabels(app: string, stack: string): Record<string, string> {
  return {
    [NAME_LABEL]: app,
    'app.kubernetes.io/part-of': PART_OF,
    'app.kubernetes.io/instance': stack,
    'app.kubernetes.io/managed-by': 'pulumi',
  };
}

/** The stable subset used in selectors (immutable on Deployments, so kept minimal). */
export function selectorLabels(app: string): Record<string, string> {
  return { [NAME_LABEL]: app };
}

/** `secure-workshop.dev/controls: "<id>,<id>"` in catalog order, or nothing when no control applies. */
export function controlAnnotations(ids: Iterable<ControlId>): Record<string, string> {
  const present = new Set(ids);
  const ordered = CONTROL_IDS.filter((id) => present.has(id));
  return ordered.length === 0 ? {} : { [CONTROLS_ANNOTATION]: ordered.join(',') };
}

/** The controls that shaped one object, collected while its builder applies them. */
export class ControlTrail {
  private readonly ids = new Set<ControlId>();

  constructor(private readonly enabled: ReadonlySet<ControlId>) {}

  /** Whether the control is on; when it is, the object records it as one that shaped it. */
  ifOn(id: ControlId): boolean {
    if (!this.enabled.has(id)) return false;
    this.ids.add(id);
    return true;
  }

  /** Records controls (those that are on) as shaping the object, without asking. */
  record(...ids: ControlId[]): this {
    for (const id of ids) if (this.enabled.has(id)) this.ids.add(id);
    return this;
  }

  annotations(extra: Record<string, string> = {}): Record<string, string> {
    return { ...extra, ...controlAnnotations(this.ids) };
  }

  list(): ControlId[] {
    return CONTROL_IDS.filter((id) => this.ids.has(id));
  }
}
