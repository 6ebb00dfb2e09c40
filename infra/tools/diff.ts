// The field-level diff of two renders, each change attributed to the control that made it.
//
// Attribution is computed, not read from annotations: the tools synthesize the stacks on the way
// from one control set to the other, one control at a time (diff-path.ts), and every field that
// differs between the two ends is given to the step that changed it; of several, the one whose
// control comes latest in the guide, which builds on the others.
import { CONTROLS_ANNOTATION } from '../lib/labels';
import {
  type Control,
  type ControlId,
  GUIDE_ORDER,
  type OwaspCategory,
  OWASP_TITLES,
} from '@secure-workshop/contracts';
import { maskSecrets } from '../testing/secret-values';
import { isRecord, type SynthResult } from './model';
import { renderedObjects } from './render';
import { labelGeneratedValues } from './secrets';

export interface FieldChange {
  path: string;
  from?: string;
  to?: string;
  /** The other controls of the path that changed this field too (earlier in the guide), in guide order. */
  buildsOn?: string[];
}

export interface ObjectChange {
  action: 'added' | 'removed' | 'changed';
  kind: string;
  namespace: string;
  name: string;
  /** For a change to an object this diff adds: the control that added it (its fields are relative to that). */
  addedBy?: string;
  fields: FieldChange[];
}

/** A step of the path from one control set to the other. */
export type Hop =
  | { kind: 'control'; control: Control; direction: 'added' | 'removed' }
  /** The two ends differ in more than their controls: other settings, or the stack's name. */
  | { kind: 'configuration'; keys: string[] };

export interface ControlGroup {
  control: Control;
  direction: 'added' | 'removed';
  changes: ObjectChange[];
}

export interface CategoryGroup {
  owasp: OwaspCategory;
  /** `A01:2021 Broken Access Control` */
  title: string;
  controls: ControlGroup[];
}

export interface StackDiff {
  from: string;
  to: string;
  controlsAdded: string[];
  controlsRemoved: string[];
  /** The control of every step of the path, in the order they were applied. */
  path: Array<{ control: string; direction: 'added' | 'removed' }>;
  categories: CategoryGroup[];
  /** Changes no control made: the stacks differ in other settings or their name (`configurationKeys`). */
  unattributed: ObjectChange[];
  configurationKeys: string[];
  /** Objects that differ between the two ends. */
  total: number;
}

interface Comparable {
  kind: string;
  namespace: string;
  name: string;
  body: unknown;
}

const SKIPPED_TYPES = /^pulumi:|^secure-workshop:/;

/** What carries the stack's name would make every object differ; both sides use one placeholder. */
function normalizeStack(value: unknown, stack: string): unknown {
  // The stack name itself (an instance label), the namespace and the gateway's host derived from it.
  if (value === stack) return '{stack}';
  if (typeof value === 'string')
    return value
      .split(`workshop-${stack}`)
      .join('workshop-{stack}')
      .split(`.${stack}.workshop.test`)
      .join('.{stack}.workshop.test');
  if (Array.isArray(value)) return value.map((item) => normalizeStack(item, stack));
  if (isRecord(value))
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [normalizeStack(k, stack) as string, normalizeStack(v, stack)]),
    );
  return value;
}

/**
 * Every object of a render as the diff compares it: Kubernetes objects (a NamespacePatch merged into
 * its Namespace) and Helm releases as render shows them, other resources by their masked inputs;
 * generated values labelled and the stack name replaced, so two renders differ only where the
 * program's output does.
 */
export function comparables(result: SynthResult): Map<string, Comparable> {
  const map = new Map<string, Comparable>();
  const add = (entry: Comparable): void => {
    const normalized = normalizeStack(
      labelGeneratedValues(entry, result.generatedValues),
      result.stack,
    ) as Comparable;
    map.set(`${normalized.kind}/${normalized.namespace}/${normalized.name}`, normalized);
  };
  for (const object of renderedObjects(result))
    add({ kind: object.kind, namespace: object.namespace, name: object.name, body: object.body });
  for (const resource of result.resources) {
    if (SKIPPED_TYPES.test(resource.type) || resource.type.startsWith('kubernetes:')) continue;
    add({
      kind: resource.type.split(':').pop() ?? resource.type,
      namespace: '-',
      name: resource.name,
      body: maskSecrets(resource.inputs, resource.secretPaths),
    });
  }
  return map;
}

/** Flattens to path -> printable leaf; lists of named items are keyed by name (`env[PGHOST].value`). */
export function flatten(value: unknown, prefix = '', into = new Map<string, string>()): Map<string, string> {
  if (Array.isArray(value)) {
    if (value.length === 0) into.set(prefix, '[]');
    const named = value.every((item) => isRecord(item) && typeof item.name === 'string');
    value.forEach((item, index) => {
      if (named && isRecord(item)) {
        // The name is already in the path; repeating it as a field is noise.
        const { name, ...rest } = item;
        const path = `${prefix}[${String(name)}]`;
        if (Object.keys(rest).length === 0) into.set(path, 'present');
        else flatten(rest, path, into);
      } else flatten(item, `${prefix}[${index}]`, into);
    });
    return into;
  }
  if (isRecord(value)) {
    const keys = Object.keys(value).sort();
    if (keys.length === 0 && prefix !== '') into.set(prefix, '{}');
    for (const key of keys) flatten(value[key], prefix === '' ? key : `${prefix}.${key}`, into);
    return into;
  }
  into.set(prefix, value === undefined ? 'undefined' : JSON.stringify(value));
  return into;
}

/** Code-point order, except that runs of digits compare as numbers (`args[2]` before `args[10]`). */
export function naturalOrder(a: string, b: string): number {
  const [x, y] = [a.split(/(\d+)/), b.split(/(\d+)/)];
  for (let i = 0; i < Math.min(x.length, y.length); i += 1) {
    const [p, q] = [x[i] as string, y[i] as string];
    if (p === q) continue;
    if (i % 2 === 1) return Number(p) - Number(q) || (p < q ? -1 : 1);
    return p < q ? -1 : 1;
  }
  return x.length - y.length;
}

export function fieldChanges(a: Map<string, string>, b: Map<string, string>): FieldChange[] {
  const changes: FieldChange[] = [];
  for (const key of [...new Set([...a.keys(), ...b.keys()])].sort(naturalOrder)) {
    const before = a.get(key);
    const after = b.get(key);
    if (before === after || key.endsWith(CONTROLS_ANNOTATION)) continue;
    // An empty map or list that gained (or lost) entries is shown by those entries alone.
    const emptied = before === '{}' || before === '[]' || after === '{}' || after === '[]';
    if (
      emptied &&
      (before === undefined || after === undefined) &&
      [...a.keys(), ...b.keys()].some((k) => k.startsWith(`${key}.`) || k.startsWith(`${key}[`))
    )
      continue;
    const change: FieldChange = { path: key };
    if (before !== undefined) change.from = before;
    if (after !== undefined) change.to = after;
    changes.push(change);
  }
  return changes;
}

const NO_FIELDS = new Map<string, string>();

/** One object across the renders of the path: present or not, and its flattened fields (computed once). */
class Track {
  private readonly flat: Array<Map<string, string> | undefined>;

  constructor(readonly versions: Array<Comparable | undefined>) {
    this.flat = versions.map(() => undefined);
  }

  present(index: number): boolean {
    return this.versions[index] !== undefined;
  }

  fields(index: number): Map<string, string> {
    const body = this.versions[index]?.body;
    if (body === undefined) return NO_FIELDS;
    const cached = this.flat[index] ?? flatten(body);
    this.flat[index] = cached;
    return cached;
  }

  /** The steps in (after, last] where `changed(step)` holds: step `s` turns render s-1 into s. */
  steps(after: number, changed: (step: number) => boolean): number[] {
    const found: number[] = [];
    for (let step = after + 1; step < this.versions.length; step += 1) if (changed(step)) found.push(step);
    return found;
  }
}

/**
 * Attributes the difference between the first and the last render to the steps between them
 * (`renders[s]` is `renders[s - 1]` after `hops[s - 1]`). A change goes to the step, of those that
 * made it, whose control comes latest in the guide, and builds on the others: adding controls that is
 * the last step, removing them the first, so a diff and its reverse list every change under the same
 * control. A step that changes settings, not controls, comes before every control. Changes to an
 * object the diff adds, made after the step that added it, go to the steps that made them.
 */
export function attributeDiff(renders: readonly SynthResult[], hops: readonly Hop[]): StackDiff {
  if (renders.length !== hops.length + 1) throw new Error('attributeDiff needs one render more than steps');
  const maps = renders.map(comparables);
  const keys = [...new Set(maps.flatMap((map) => [...map.keys()]))].sort(naturalOrder);
  const last = renders.length - 1;
  const perStep: ObjectChange[][] = hops.map(() => []);
  let total = 0;
  const controlOf = (step: number): string | undefined => {
    const hop = hops[step - 1];
    return hop?.kind === 'control' ? hop.control.id : undefined;
  };
  const rank = (step: number): number => GUIDE_ORDER.indexOf(controlOf(step) as ControlId);
  /** Of several steps, the one whose control comes latest in the guide. */
  const latest = (steps: number[]): number =>
    steps.reduce((best, step) => (rank(step) >= rank(best) ? step : best));
  const others = (steps: number[], chosen: number): string[] =>
    [...new Set(steps.filter((step) => step !== chosen).flatMap((step) => controlOf(step) ?? []))].sort(
      (a, b) => GUIDE_ORDER.indexOf(a as ControlId) - GUIDE_ORDER.indexOf(b as ControlId),
    );
  for (const key of keys) {
    const track = new Track(maps.map((map) => map.get(key)));
    const entry = track.versions.find((version) => version !== undefined) as Comparable;
    const head = { kind: entry.kind, namespace: entry.namespace, name: entry.name };
    const [first, final] = [track.present(0), track.present(last)];
    if (!first && !final) continue;
    if (first && !final) {
      const step = latest(track.steps(0, (s) => track.present(s - 1) && !track.present(s)));
      perStep[step - 1]?.push({ ...head, action: 'removed', fields: [] });
      total += 1;
      continue;
    }
    let base = 0;
    if (!first) {
      const additions = track.steps(0, (s) => !track.present(s - 1) && track.present(s));
      perStep[latest(additions) - 1]?.push({ ...head, action: 'added', fields: [] });
      // Its fields as that step made them are the object; what later steps change is theirs.
      base = additions[additions.length - 1] as number;
      total += 1;
    }
    const changes = fieldChanges(track.fields(base), track.fields(last));
    if (changes.length === 0) continue;
    if (base === 0) total += 1;
    const byStep = new Map<number, FieldChange[]>();
    for (const change of changes) {
      const changedBy = track.steps(
        base,
        (s) => track.fields(s - 1).get(change.path) !== track.fields(s).get(change.path),
      );
      // The ends differ, so some step changed the field (an emptied map: its entries did).
      const step = changedBy.length > 0 ? latest(changedBy) : last;
      const buildsOn = others(changedBy, step);
      byStep.set(step, [...(byStep.get(step) ?? []), buildsOn.length > 0 ? { ...change, buildsOn } : change]);
    }
    const addedBy = base === 0 ? undefined : controlOf(base);
    for (const [step, fields] of byStep)
      perStep[step - 1]?.push({
        ...head,
        action: 'changed',
        ...(addedBy === undefined ? {} : { addedBy }),
        fields,
      });
  }
  return groupDiff(renders[0] as SynthResult, renders[last] as SynthResult, hops, perStep, total);
}

function groupDiff(
  from: SynthResult,
  to: SynthResult,
  hops: readonly Hop[],
  perStep: ObjectChange[][],
  total: number,
): StackDiff {
  const categories = new Map<OwaspCategory, CategoryGroup>();
  const unattributed: ObjectChange[] = [];
  const configurationKeys: string[] = [];
  const path: StackDiff['path'] = [];
  hops.forEach((hop, index) => {
    const changes = perStep[index] ?? [];
    if (hop.kind === 'configuration') {
      unattributed.push(...changes);
      configurationKeys.push(...hop.keys);
      return;
    }
    path.push({ control: hop.control.id, direction: hop.direction });
    const owasp = hop.control.owasp;
    const category = categories.get(owasp) ?? { owasp, title: OWASP_TITLES[owasp], controls: [] };
    category.controls.push({ control: hop.control, direction: hop.direction, changes });
    categories.set(owasp, category);
  });
  const guideIndex = (group: ControlGroup): number => GUIDE_ORDER.indexOf(group.control.id);
  for (const category of categories.values()) category.controls.sort((a, b) => guideIndex(a) - guideIndex(b));
  const sameStack = from.stack === to.stack;
  return {
    from: sameStack ? `${from.stack} [${from.controls.join(',')}]` : from.stack,
    to: sameStack ? `${to.stack} [${to.controls.join(',')}]` : to.stack,
    controlsAdded: path.filter((step) => step.direction === 'added').map((step) => step.control),
    controlsRemoved: path.filter((step) => step.direction === 'removed').map((step) => step.control),
    path,
    categories: [...categories.values()].sort((x, y) => x.owasp.localeCompare(y.owasp)),
    unattributed,
    configurationKeys,
    total,
  };
}
