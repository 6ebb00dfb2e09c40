// The path a diff attributes along: from one control set to another, one control at a time, each
// stop a valid stack, every stop synthesized (in parallel, a few at a time, each set once).
import { availableParallelism } from 'node:os';
import { type ControlId, getControl, GUIDE_ORDER } from '@secure-workshop/contracts';
import { CONTROLS_KEY, loadStackConfig, PROJECT_NAME } from '../testing/stack-config';
import { attributeDiff, type Hop, type StackDiff } from './diff';
import type { SynthResult } from './model';
import { synthesize, type SynthOptions } from './synth';

export interface ControlHop {
  control: ControlId;
  direction: 'added' | 'removed';
}

/**
 * The controls `to` has and `from` lacks are added in the guide's order, after those `from` has and
 * `to` lacks are removed, latest in the guide's order first. The guide's order puts every control
 * after the controls it requires, so each stop is a valid set; and the path from B back to A is the
 * path from A to B reversed, so a diff and its reverse attribute every change to the same control.
 */
export function planPath(from: readonly string[], to: readonly string[]): ControlHop[] {
  const removed = GUIDE_ORDER.filter((id) => from.includes(id) && !to.includes(id)).reverse();
  const added = GUIDE_ORDER.filter((id) => to.includes(id) && !from.includes(id));
  return [
    ...removed.map((control): ControlHop => ({ control, direction: 'removed' })),
    ...added.map((control): ControlHop => ({ control, direction: 'added' })),
  ];
}

/** The control set at every stop of the path, `from` first, each in the guide's order. */
export function pathSets(from: readonly string[], hops: readonly ControlHop[]): ControlId[][] {
  const sets: ControlId[][] = [GUIDE_ORDER.filter((id) => from.includes(id))];
  for (const hop of hops) {
    const current = new Set<string>(sets[sets.length - 1]);
    if (hop.direction === 'added') current.add(hop.control);
    else current.delete(hop.control);
    sets.push(GUIDE_ORDER.filter((id) => current.has(id)));
  }
  return sets;
}

type Synthesize = (options: SynthOptions) => Promise<SynthResult>;

/** At most this many synthesis processes at once: one per core, never more than four. */
export function defaultConcurrency(): number {
  return Math.max(1, Math.min(4, availableParallelism()));
}

/**
 * Runs syntheses a few at a time and runs each distinct one once: a stack file, the name it runs as
 * and a control set (in any order) make one render.
 */
export class SynthesisPool {
  private readonly cache = new Map<string, Promise<SynthResult>>();
  private readonly waiting: Array<() => void> = [];
  private running = 0;
  /** How many processes this pool started. */
  started = 0;

  constructor(
    private readonly limit: number = defaultConcurrency(),
    private readonly run: Synthesize = synthesize,
  ) {}

  synthesize(options: SynthOptions): Promise<SynthResult> {
    const key = JSON.stringify([
      options.stack,
      options.stackName ?? options.stack,
      options.stateFile ?? null,
      options.controls === undefined ? null : [...new Set(options.controls)].sort(),
    ]);
    let result = this.cache.get(key);
    if (result === undefined) {
      result = this.queued(options);
      this.cache.set(key, result);
    }
    return result;
  }

  private async queued(options: SynthOptions): Promise<SynthResult> {
    if (this.running >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.running += 1;
    this.started += 1;
    try {
      return await this.run(options);
    } finally {
      this.running -= 1;
      this.waiting.shift()?.();
    }
  }
}

const IGNORED_KEYS = new Set([CONTROLS_KEY, `${PROJECT_NAME}:step`]);

/** The settings (other than controls or step) in which two stack files differ. */
export function configurationDifference(a: string, b: string): string[] {
  if (a === b) return [];
  const [left, right] = [loadStackConfig(a), loadStackConfig(b)];
  return [...new Set([...Object.keys(left), ...Object.keys(right)])]
    .filter((key) => !IGNORED_KEYS.has(key) && left[key] !== right[key])
    .sort();
}

/** What the stack name stands for in the heading of changes no control made. */
export const STACK_NAME = 'the stack name';

function differences(a: SynthOptions, b: SynthOptions): string[] {
  const name = (options: SynthOptions): string => options.stackName ?? options.stack;
  return [...configurationDifference(a.stack, b.stack), ...(name(a) === name(b) ? [] : [STACK_NAME])];
}

function hasStep(stack: string): boolean {
  return loadStackConfig(stack)[`${PROJECT_NAME}:step`] !== undefined;
}

export interface AttributionPath {
  renders: SynthResult[];
  hops: Hop[];
}

/**
 * Synthesizes both ends and every stop between them. The stops run as the `to` stack (or `from` when
 * `to` names a guide step, which a control list cannot replace); when an end differs from that in
 * name or other settings, a step of its own holds what that changes, so no control is blamed for it.
 */
export async function synthesizePath(
  from: SynthOptions,
  to: SynthOptions,
  pool: SynthesisPool = new SynthesisPool(),
): Promise<AttributionPath> {
  const [a, b] = await Promise.all([pool.synthesize(from), pool.synthesize(to)]);
  const controlHops = planPath(a.controls, b.controls);
  const base: SynthOptions = hasStep(to.stack) && !hasStep(from.stack) ? from : to;
  const baseOptions = (controls: ControlId[]): SynthOptions => ({
    stack: base.stack,
    ...(base.stackName === undefined ? {} : { stackName: base.stackName }),
    controls,
  });
  // Every stop runs as one stack: what a different name or other settings change is not a control's.
  const before = differences(from, base);
  const after = differences(base, to);
  const sets = pathSets(a.controls, controlHops);
  const stops = sets.map((controls, index) => {
    if (index === 0 && before.length === 0) return Promise.resolve(a);
    if (index === sets.length - 1 && after.length === 0) return Promise.resolve(b);
    return pool.synthesize(baseOptions(controls));
  });
  const renders = [...(before.length > 0 ? [a] : []), ...(await Promise.all(stops))];
  const hops: Hop[] = [
    ...(before.length > 0 ? [{ kind: 'configuration' as const, keys: before }] : []),
    ...controlHops.map((hop): Hop => ({
      kind: 'control',
      control: getControl(hop.control),
      direction: hop.direction,
    })),
  ];
  if (after.length > 0 || hops.length === 0) {
    // `to`'s own settings; or, with nothing else to tell the ends apart, whatever the two runs differ in.
    renders.push(b);
    hops.push({ kind: 'configuration', keys: after });
  }
  return { renders, hops };
}

/** The attributed diff between two stacks (or control sets), as `npm run diff` prints it. */
export async function attributedDiff(
  from: SynthOptions,
  to: SynthOptions,
  pool?: SynthesisPool,
): Promise<StackDiff> {
  const { renders, hops } = await synthesizePath(from, to, pool);
  return attributeDiff(renders, hops);
}
