// The attributed diff for people (text for terminals, Markdown for pull requests) and for tools
// (JSON): the same groups, objects and fields in each.
import type { OwaspCategory } from '@secure-workshop/contracts';
import type { ControlGroup, FieldChange, ObjectChange, StackDiff } from './diff';
import { wrapWords } from './model';

export const DIFF_FORMATS = ['text', 'markdown', 'json'] as const;
export type DiffFormat = (typeof DIFF_FORMATS)[number];

export function isDiffFormat(value: string): value is DiffFormat {
  return (DIFF_FORMATS as readonly string[]).includes(value);
}

const MAX_VALUE = 100;

/** A flattened leaf as a reader wants it: strings unquoted, long or multi-line values shortened. */
export function shortValue(value: string | undefined): string {
  if (value === undefined) return '';
  const text = textOf(value);
  if (text.includes('\n')) return `<${text.split('\n').length} lines>`;
  return text.length > MAX_VALUE ? `${text.slice(0, MAX_VALUE - 3)}...` : text;
}

function textOf(value: string): string {
  return value.startsWith('"') ? (JSON.parse(value) as string) : value;
}

const MAX_LINES = 12;

/**
 * The lines a multi-line value (a config file in a ConfigMap) changed: what lies between the lines
 * both versions start and end with, old lines `-`, new lines `+`, at most a dozen.
 */
export function changedLines(field: FieldChange): string[] {
  if (field.from === undefined || field.to === undefined) return [];
  const [before, after] = [textOf(field.from).split('\n'), textOf(field.to).split('\n')];
  if (before.length === 1 && after.length === 1) return [];
  let start = 0;
  while (start < before.length && start < after.length && before[start] === after[start]) start += 1;
  let end = 0;
  while (
    end < before.length - start &&
    end < after.length - start &&
    before[before.length - 1 - end] === after[after.length - 1 - end]
  )
    end += 1;
  const lines = [
    ...before.slice(start, before.length - end).map((line) => `- ${line}`),
    ...after.slice(start, after.length - end).map((line) => `+ ${line}`),
  ].map((line) => (line.length > MAX_VALUE ? `${line.slice(0, MAX_VALUE - 3)}...` : line));
  return lines.length > MAX_LINES
    ? [...lines.slice(0, MAX_LINES), `... ${lines.length - MAX_LINES} more lines`]
    : lines;
}

export function describeField(field: FieldChange): string {
  if (field.from === undefined) return `+ ${field.path}: ${shortValue(field.to)}`;
  if (field.to === undefined) return `- ${field.path}: ${shortValue(field.from)}`;
  const lines = textOf(field.to).split('\n').length;
  if (changedLines(field).length > 0)
    return `~ ${field.path}: ${lines} line${lines === 1 ? '' : 's'}, changed as follows`;
  return `~ ${field.path}: ${shortValue(field.from)} -> ${shortValue(field.to)}`;
}

const SYMBOL = { added: '+', removed: '-', changed: '~' } as const;

export function objectLabel(change: ObjectChange): string {
  const where = change.namespace === '-' ? '' : ` (${change.namespace})`;
  return `${SYMBOL[change.action]} ${change.kind} ${change.name}${where}`;
}

/** The heading of a control's section: `[id] title`, marked when the path turns it off. */
export function groupTitle(group: ControlGroup): string {
  return `${group.control.title}${group.direction === 'removed' ? ' (removed)' : ''}`;
}

/** Said where a control's section has no change of its own left. */
export const NOTHING_LEFT =
  'Nothing of its own is left to show: later controls changed every field it touched, or it changes nothing between these stacks.';

/** Markdown inline code that survives backticks in the text (Traefik rules use them). */
export function inlineCode(text: string): string {
  return text.includes('`') ? `\`\` ${text} \`\`` : `\`${text}\``;
}

function pathSentence(diff: StackDiff): string[] {
  const lines: string[] = [];
  if (diff.controlsRemoved.length > 0)
    lines.push(`Controls removed, latest of the guide first: ${diff.controlsRemoved.join(', ')}`);
  if (diff.controlsAdded.length > 0)
    lines.push(`Controls added, in the guide's order: ${diff.controlsAdded.join(', ')}`);
  return lines;
}

const HOW =
  'Each change is listed under the control that made it: the controls were applied one at a time in this order and each render compared with the one before. A field two controls change is listed under the one later in the guide, which builds on the other.';

export function formatDiff(diff: StackDiff, format: DiffFormat): string {
  if (format === 'json') return `${JSON.stringify(diffJson(diff), null, 2)}\n`;
  if (diff.total === 0) return `No differences between ${diff.from} and ${diff.to}.\n`;
  const md = format === 'markdown';
  const lines: string[] = [];
  lines.push(md ? `## ${diff.from} -> ${diff.to}` : `${diff.from} -> ${diff.to}`);
  lines.push('');
  lines.push(...pathSentence(diff));
  lines.push(`${diff.total} object${diff.total === 1 ? '' : 's'} differ.`);
  if (diff.path.length > 1) lines.push(...(md ? [HOW] : wrapWords(HOW, 100)));
  const emit = (change: ObjectChange): void => {
    const addedBy = change.addedBy === undefined ? '' : `, added by ${change.addedBy}`;
    lines.push(
      md ? `- ${inlineCode(objectLabel(change))}${addedBy}` : `    ${objectLabel(change)}${addedBy}`,
    );
    for (const field of change.fields) {
      const builds = field.buildsOn === undefined ? '' : ` (builds on ${field.buildsOn.join(', ')})`;
      lines.push(
        md ? `  - ${inlineCode(describeField(field))}${builds}` : `        ${describeField(field)}${builds}`,
      );
      for (const line of changedLines(field))
        lines.push(md ? `    - ${inlineCode(line)}` : `            ${line}`);
    }
  };
  for (const category of diff.categories) {
    lines.push('');
    lines.push(md ? `### ${category.title}` : category.title);
    for (const group of category.controls) {
      lines.push('');
      lines.push(
        md
          ? `#### \`${group.control.id}\`: ${groupTitle(group)}`
          : `  [${group.control.id}] ${groupTitle(group)}`,
      );
      if (md) lines.push(`> ${group.control.why}`, '');
      else lines.push(...wrapWords(group.control.why, 96).map((line) => `  ${line}`));
      if (group.changes.length === 0) lines.push(md ? `_${NOTHING_LEFT}_` : `    (${NOTHING_LEFT})`);
      for (const change of group.changes) emit(change);
    }
  }
  if (diff.unattributed.length > 0) {
    lines.push('');
    const heading = `Not from a control: the stacks differ in ${diff.configurationKeys.join(', ') || 'nothing but their runs'}`;
    lines.push(md ? `### ${heading}` : heading);
    if (md) lines.push('');
    for (const change of diff.unattributed) emit(change);
  }
  return `${lines.join('\n')}\n`;
}

/** A flattened leaf as JSON: the value itself where it is one (`"x"`, `3`, `[]`), else its marker. */
function leafValue(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

interface JsonField {
  path: string;
  from?: unknown;
  to?: unknown;
  buildsOn?: string[];
}

function jsonChange(change: ObjectChange): Omit<ObjectChange, 'fields'> & { fields: JsonField[] } {
  return {
    ...change,
    fields: change.fields.map((field) => ({
      path: field.path,
      ...(field.from === undefined ? {} : { from: leafValue(field.from) }),
      ...(field.to === undefined ? {} : { to: leafValue(field.to) }),
      ...(field.buildsOn === undefined ? {} : { buildsOn: field.buildsOn }),
    })),
  };
}

/** The JSON shape of `--format json`: the diff with each control's catalog entry spelled out. */
export function diffJson(diff: StackDiff): {
  from: string;
  to: string;
  controlsAdded: string[];
  controlsRemoved: string[];
  path: StackDiff['path'];
  total: number;
  categories: Array<{
    owasp: OwaspCategory;
    title: string;
    controls: Array<{
      id: string;
      title: string;
      why: string;
      owasp: OwaspCategory;
      direction: 'added' | 'removed';
      changes: Array<ReturnType<typeof jsonChange>>;
    }>;
  }>;
  unattributed: { configurationKeys: string[]; changes: Array<ReturnType<typeof jsonChange>> };
} {
  return {
    from: diff.from,
    to: diff.to,
    controlsAdded: diff.controlsAdded,
    controlsRemoved: diff.controlsRemoved,
    path: diff.path,
    total: diff.total,
    categories: diff.categories.map((category) => ({
      owasp: category.owasp,
      title: category.title,
      controls: category.controls.map((group) => ({
        id: group.control.id,
        title: group.control.title,
        why: group.control.why,
        owasp: group.control.owasp,
        direction: group.direction,
        changes: group.changes.map(jsonChange),
      })),
    })),
    unattributed: { configurationKeys: diff.configurationKeys, changes: diff.unattributed.map(jsonChange) },
  };
}
