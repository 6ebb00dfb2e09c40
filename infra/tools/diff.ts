import { CONTROLS_ANNOTATION } from '../lib/labels';
import { type Control, CONTROLS, type OwaspCategory, OWASP_TITLES } from '@secure-workshop/contracts';
import { controlsOf } from '../testing/objects';
import { maskSecrets } from '../testing/secret-values';
import { isRecord, type SynthResult, wrapWords } from './model';
import { renderedObjects } from './render';
import { labelGeneratedValues } from './secrets';

export const UNATTRIBUTED = 'unattributed';

export interface FieldChange {
  path: string;
  from?: string;
  to?: string;
}

export interface ObjectChange {
  action: 'added' | 'removed' | 'changed';
  kind: string;
  namespace: string;
  name: string;
  controls: string[];
  fields: FieldChange[];
}

export interface ControlGroup {
  control: Control;
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
  categories: CategoryGroup[];
  unattributed: ObjectChange[];
  total: number;
}

interface Comparable {
  kind: string;
  namespace: string;
  name: string;
  controls: string[];
  body: unknown;
}

const SKIPPED_TYPES = /^pulumi:|^secure-workshop:/;

/** The stack's own namespace name would make every object differ; both sides use one placeholder. */
function normalizeStack(value: unknown, stack: string): unknown {
  const needle = `workshop-${stack}`;
  // The stack name itself (an instance label) and the namespace derived from it.
  if (value === stack) return '{stack}';
  if (typeof value === 'string') return value.split(needle).join('workshop-{stack}');
  if (Array.isArray(value)) return value.map((item) => normalizeStack(item, stack));
  if (isRecord(value))
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, normalizeStack(v, stack)]));
  return value;
}

/** The controls all lists share, or else the ones most lists carry. */
function commonControls(lists: readonly string[][]): string[] {
  const shared = (lists[0] ?? []).filter((id) => lists.every((list) => list.includes(id)));
  if (shared.length > 0) return shared;
  const counts = new Map<string, number>();
  for (const id of lists.flat()) counts.set(id, (counts.get(id) ?? 0) + 1);
  const most = Math.max(0, ...counts.values());
  return [...counts].filter(([, count]) => count === most).map(([id]) => id);
}

/**
 * Generators and Helm releases carry no annotation: they belong to the controls of the annotated
 * objects that consume them, or else to those of their annotated siblings in the same component.
 */
function inheritedControls(result: SynthResult): Map<string, string[]> {
  const consumers = new Map<string, string[][]>();
  const siblings = new Map<string, string[][]>();
  for (const resource of result.resources) {
    const controls = controlsOf(resource.inputs);
    if (controls.length === 0) continue;
    for (const dependency of resource.dependsOn)
      consumers.set(dependency, [...(consumers.get(dependency) ?? []), controls]);
    if (resource.parent !== undefined)
      siblings.set(resource.parent, [...(siblings.get(resource.parent) ?? []), controls]);
  }
  const inherited = new Map<string, string[]>();
  for (const resource of result.resources) {
    const lists =
      consumers.get(resource.urn) ?? (resource.parent ? siblings.get(resource.parent) : undefined);
    if (lists !== undefined) inherited.set(resource.urn, commonControls(lists));
  }
  return inherited;
}

function comparables(result: SynthResult): Map<string, Comparable> {
  const map = new Map<string, Comparable>();
  const inherited = inheritedControls(result);
  const add = (entry: Comparable): void => {
    const normalized = normalizeStack(
      labelGeneratedValues(entry, result.generatedValues),
      result.stack,
    ) as Comparable;
    map.set(`${normalized.kind}/${normalized.namespace}/${normalized.name}`, normalized);
  };
  for (const object of renderedObjects(result)) {
    const own = controlsOf(object.body);
    add({
      kind: object.kind,
      namespace: object.namespace,
      name: object.name,
      controls: own.length > 0 ? own : (inherited.get(object.urn) ?? []),
      body: object.body,
    });
  }
  for (const resource of result.resources) {
    if (SKIPPED_TYPES.test(resource.type) || resource.type.startsWith('kubernetes:')) continue;
    add({
      kind: resource.type.split(':').pop() ?? resource.type,
      namespace: '-',
      name: resource.name,
      controls: inherited.get(resource.urn) ?? [],
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

function fieldChanges(from: unknown, to: unknown): FieldChange[] {
  const a = flatten(from);
  const b = flatten(to);
  const changes: FieldChange[] = [];
  for (const key of [...new Set([...a.keys(), ...b.keys()])].sort()) {
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

export function diffStacks(from: SynthResult, to: SynthResult): StackDiff {
  const before = comparables(from);
  const after = comparables(to);
  const changes: ObjectChange[] = [];
  for (const key of [...new Set([...before.keys(), ...after.keys()])].sort()) {
    const a = before.get(key);
    const b = after.get(key);
    const base = (b ?? a) as Comparable;
    const head = { kind: base.kind, namespace: base.namespace, name: base.name };
    if (a === undefined) changes.push({ ...head, action: 'added', controls: base.controls, fields: [] });
    else if (b === undefined) changes.push({ ...head, action: 'removed', controls: a.controls, fields: [] });
    else {
      const fields = fieldChanges(a.body, b.body);
      if (fields.length > 0) {
        const controls = [...new Set([...b.controls, ...a.controls])];
        changes.push({ ...head, action: 'changed', controls, fields });
      }
    }
  }
  const byId = new Map<string, Control>(CONTROLS.map((control) => [control.id, control]));
  const groups = new Map<string, ControlGroup>();
  const unattributed: ObjectChange[] = [];
  for (const change of changes) {
    const known = change.controls.filter((id) => byId.has(id));
    if (known.length === 0) unattributed.push(change);
    for (const id of known) {
      const control = byId.get(id) as Control;
      const group = groups.get(id) ?? { control, changes: [] };
      group.changes.push(change);
      groups.set(id, group);
    }
  }
  const catalogOrder = CONTROLS.map((control): string => control.id);
  const categories = new Map<string, CategoryGroup>();
  for (const group of [...groups.values()].sort(
    (x, y) => catalogOrder.indexOf(x.control.id) - catalogOrder.indexOf(y.control.id),
  )) {
    const owasp = group.control.owasp;
    const category = categories.get(owasp) ?? { owasp, title: OWASP_TITLES[owasp], controls: [] };
    category.controls.push(group);
    categories.set(owasp, category);
  }
  return {
    from: from.stack === to.stack ? `${from.stack} [${from.controls.join(',')}]` : from.stack,
    to: from.stack === to.stack ? `${to.stack} [${to.controls.join(',')}]` : to.stack,
    controlsAdded: to.controls.filter((id) => !from.controls.includes(id)),
    controlsRemoved: from.controls.filter((id) => !to.controls.includes(id)),
    categories: [...categories.values()].sort((x, y) => x.owasp.localeCompare(y.owasp)),
    unattributed,
    total: changes.length,
  };
}

const MAX_VALUE = 100;

function shortValue(value: string | undefined): string {
  if (value === undefined) return '';
  const text = value.startsWith('"') ? (JSON.parse(value) as string) : value;
  if (text.includes('\n')) return `<${text.split('\n').length} lines>`;
  return text.length > MAX_VALUE ? `${text.slice(0, MAX_VALUE - 3)}...` : text;
}

function describeField(field: FieldChange): string {
  if (field.from === undefined) return `+ ${field.path}: ${shortValue(field.to)}`;
  if (field.to === undefined) return `- ${field.path}: ${shortValue(field.from)}`;
  return `~ ${field.path}: ${shortValue(field.from)} -> ${shortValue(field.to)}`;
}

const SYMBOL = { added: '+', removed: '-', changed: '~' } as const;

/** Markdown inline code that survives backticks in the text (Traefik rules use them). */
export function inlineCode(text: string): string {
  return text.includes('`') ? `\`\` ${text} \`\`` : `\`${text}\``;
}

function objectLabel(change: ObjectChange): string {
  const where = change.namespace === '-' ? '' : ` (${change.namespace})`;
  return `${SYMBOL[change.action]} ${change.kind} ${change.name}${where}`;
}

export function formatDiff(diff: StackDiff, format: 'text' | 'markdown'): string {
  if (diff.total === 0) return `No differences between ${diff.from} and ${diff.to}.\n`;
  const md = format === 'markdown';
  const lines: string[] = [];
  lines.push(md ? `## ${diff.from} -> ${diff.to}` : `${diff.from} -> ${diff.to}`);
  lines.push('');
  if (diff.controlsAdded.length > 0) lines.push(`Controls added: ${diff.controlsAdded.join(', ')}`);
  if (diff.controlsRemoved.length > 0) lines.push(`Controls removed: ${diff.controlsRemoved.join(', ')}`);
  lines.push(`${diff.total} object${diff.total === 1 ? '' : 's'} differ.`);
  const shownUnder = new Map<ObjectChange, string>();
  const emitChange = (change: ObjectChange, controlId: string): void => {
    const first = shownUnder.get(change);
    if (first !== undefined) {
      lines.push(
        md
          ? `- ${inlineCode(objectLabel(change))} (see ${first})`
          : `    ${objectLabel(change)} (see ${first})`,
      );
      return;
    }
    shownUnder.set(change, controlId);
    // Fields are shown once, under the first control; the object line names all that shaped it.
    const shared = change.controls.length > 1 ? ` (controls: ${change.controls.join(', ')})` : '';
    lines.push(md ? `- ${inlineCode(objectLabel(change))}${shared}` : `    ${objectLabel(change)}${shared}`);
    for (const field of change.fields)
      lines.push(md ? `  - ${inlineCode(describeField(field))}` : `        ${describeField(field)}`);
  };
  for (const category of diff.categories) {
    lines.push('');
    lines.push(md ? `### ${category.title}` : category.title);
    for (const group of category.controls) {
      lines.push('');
      lines.push(
        md
          ? `#### \`${group.control.id}\`: ${group.control.title}`
          : `  [${group.control.id}] ${group.control.title}`,
      );
      if (md) lines.push(`> ${group.control.why}`);
      else lines.push(...wrapWords(group.control.why, 96).map((line) => `  ${line}`));
      if (md) lines.push('');
      for (const change of group.changes) emitChange(change, group.control.id);
    }
  }
  if (diff.unattributed.length > 0) {
    lines.push('');
    lines.push(md ? '### Not attributed to a control' : 'Not attributed to a control');
    for (const change of diff.unattributed) emitChange(change, UNATTRIBUTED);
  }
  return `${lines.join('\n')}\n`;
}
