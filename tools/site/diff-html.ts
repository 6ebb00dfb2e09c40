// The attributed diff of a step as HTML: the same groups, objects and fields `npm run diff` prints,
// each control with its why, each object foldable.
import type { FieldChange, ObjectChange, StackDiff } from '../../infra/tools/diff';
import { changedLines, describeField, groupTitle, objectLabel } from '../../infra/tools/diff-format';
import { escapeHtml } from './html';

/** Objects with at most this many fields start unfolded. */
const OPEN_UP_TO = 12;

/** Where a control's changes are shown: the step page that adds it, at the control's group. */
export type ControlLink = (id: string) => string;

function fieldHtml(field: FieldChange, link: ControlLink): string {
  const kind = field.from === undefined ? 'added' : field.to === undefined ? 'removed' : 'changed';
  const builds =
    field.buildsOn === undefined
      ? ''
      : ` <span class="builds">builds on ${field.buildsOn.map((id) => `<a href="${link(id)}">${id}</a>`).join(', ')}</span>`;
  const lines = changedLines(field);
  const detail = lines.length > 0 ? `<pre class="lines">${escapeHtml(lines.join('\n'))}</pre>` : '';
  return `<li class="${kind}"><code>${escapeHtml(describeField(field))}</code>${builds}${detail}</li>`;
}

function objectHtml(change: ObjectChange, link: ControlLink): string {
  const label = escapeHtml(objectLabel(change));
  const addedBy =
    change.addedBy === undefined
      ? ''
      : ` <span class="builds">added by <a href="${link(change.addedBy)}">${change.addedBy}</a></span>`;
  if (change.fields.length === 0) return `<li class="${change.action}"><code>${label}</code>${addedBy}</li>`;
  const count = `${change.fields.length} field${change.fields.length === 1 ? '' : 's'}`;
  return `<li class="${change.action}"><details${change.fields.length <= OPEN_UP_TO ? ' open' : ''}><summary><code>${label}</code>${addedBy} <span class="count">${count}</span></summary><ul class="fields">${change.fields.map((field) => fieldHtml(field, link)).join('')}</ul></details></li>`;
}

/** The diff under a heading of level `level` (its categories one below, controls two below). */
export function diffHtml(diff: StackDiff, level: number, link: ControlLink): string {
  const [h1, h2] = [`h${level + 1}`, `h${level + 2}`];
  const parts: string[] = [];
  const steps = diff.path.map((step) => `<code>${step.control}</code>`).join(', ');
  parts.push(
    `<p>${diff.total} object${diff.total === 1 ? '' : 's'} differ. The controls were applied one at a time (${steps}) and each render compared with the one before, so every change below is listed under the control that made it; a field two controls change is listed under the later one, which builds on the other.</p>`,
  );
  for (const category of diff.categories) {
    parts.push(`<section class="owasp"><${h1}>${escapeHtml(category.title)}</${h1}>`);
    for (const group of category.controls) {
      const id = group.control.id;
      parts.push(
        `<div class="control-changes"><${h2} id="diff-${id}"><code>${id}</code> ${escapeHtml(groupTitle(group))}</${h2}><p class="why">${escapeHtml(group.control.why)}</p>`,
      );
      parts.push(
        `<ul class="objects">${group.changes.map((change) => objectHtml(change, link)).join('')}</ul></div>`,
      );
    }
    parts.push('</section>');
  }
  if (diff.unattributed.length > 0)
    parts.push(
      `<section class="owasp"><${h1}>Not from a control</${h1}><ul class="objects">${diff.unattributed.map((change) => objectHtml(change, link)).join('')}</ul></section>`,
    );
  return parts.join('\n');
}
