// The experiments of each step, read from docs/guide.md at build time: the command blocks under the
// step's heading (`## Step <n> ...`), each with the sentence that introduces it. Only the headings
// and the fences are relied on, so the guide can be rewritten (or generated) freely around them.

export interface Experiment {
  /** The paragraph or list item just before the block, as Markdown text (may be empty). */
  intro: string;
  /** The info string of the fence (`sh`, `yaml`, ...). */
  language: string;
  code: string;
  /** The paragraph after the block when it says what to expect ("What you should see: ..."). */
  outcome?: string;
}

export interface GuideSection {
  step: number;
  heading: string;
  experiments: Experiment[];
}

const OUTCOME = /^(What you should see|You should see|Expected)\b/i;

/** The paragraph starting at the first non-blank line from `start`, if it says what to expect. */
function outcomeAt(lines: readonly string[], start: number): string | undefined {
  let i = start;
  while (i < lines.length && (lines[i] as string).trim() === '') i += 1;
  if (!OUTCOME.test((lines[i] ?? '').trim())) return undefined;
  const text: string[] = [];
  for (
    ;
    i < lines.length && !/^\s*$|^#|^\s*[-*] /.test(lines[i] as string) && !FENCE.test(lines[i] as string);
    i += 1
  )
    text.push((lines[i] as string).trim());
  return text.join(' ');
}

const STEP_HEADING = /^## Step (\d+)\b(.*)$/;
const FENCE = /^(\s*)(`{3,}|~{3,})\s*([\w-]*)/;

/** The step sections of the guide, by step number; a step the guide has no heading for is absent. */
export function guideSections(markdown: string): Map<number, GuideSection> {
  const sections = new Map<number, GuideSection>();
  let current: GuideSection | undefined;
  let paragraph: string[] = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i += 1) {
    const line = lines[i] as string;
    const heading = STEP_HEADING.exec(line);
    if (heading !== null) {
      current = { step: Number(heading[1]), heading: line.slice(3).trim(), experiments: [] };
      sections.set(current.step, current);
      paragraph = [];
      continue;
    }
    if (/^#{1,2} /.test(line)) {
      current = undefined;
      continue;
    }
    const fence = FENCE.exec(line);
    if (fence !== null) {
      const [, indent = '', marks = '```', language = ''] = fence;
      const code: string[] = [];
      for (i += 1; i < lines.length; i += 1) {
        const inner = lines[i] as string;
        if (inner.trim().startsWith(marks)) break;
        // Fences inside a list item are indented; the commands are not.
        code.push(inner.startsWith(indent) ? inner.slice(indent.length) : inner.trimStart());
      }
      const outcome = outcomeAt(lines, i + 1);
      current?.experiments.push({
        intro: paragraph.join(' ').trim(),
        language,
        code: code.join('\n'),
        ...(outcome === undefined ? {} : { outcome }),
      });
      paragraph = [];
      continue;
    }
    if (line.trim() === '') continue;
    // A new paragraph or list item starts the intro afresh; its continuation lines join it.
    if (/^\s*([-*]|\d+\.) /.test(line) || lines[i - 1]?.trim() === '') paragraph = [];
    paragraph.push(line.trim().replace(/^([-*]|\d+\.) /, ''));
  }
  return sections;
}
