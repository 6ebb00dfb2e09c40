// docs/guide.md's generated parts: the blocks between `<!-- walk:NAME -->` and `<!-- /walk:NAME -->`
// come from the scenarios (`npm run walk -- --write-guide`); everything else is prose kept as written.
import { GUIDE_STEPS, OWASP_TITLES } from '@secure-workshop/contracts';
import * as prettier from 'prettier';
import { PREAMBLE, clusterCommand, setupScript } from './commands';
import { type StepScenario, isExperiment } from './scenario-types';
import { scenarios } from './scenarios';
import { WalkError } from './objects';

function fenced(code: string, indent = ''): string {
  return [
    `${indent}\`\`\`sh`,
    ...code.split('\n').map((line) => (line === '' ? '' : `${indent}${line}`)),
    `${indent}\`\`\``,
  ].join('\n');
}

function sentence(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function stepsTable(): string {
  const rows = [
    '| step | stack file          | OWASP                                        | controls added                                            |',
    '| ---- | ------------------- | -------------------------------------------- | --------------------------------------------------------- |',
    `| 0    | \`Pulumi.start.yaml\` |                                              | none                                                      |`,
    ...GUIDE_STEPS.map((step) => {
      const theme = step.theme === 'zero trust' ? 'zero trust (book chapter)' : OWASP_TITLES[step.theme];
      const controls = step.adds.map((id) => `\`${id}\``).join(', ');
      return `| ${String(step.number).padEnd(4)} | ${`\`Pulumi.${step.stack}.yaml\``.padEnd(19)} | ${theme.padEnd(44)} | ${controls.padEnd(57)} |`;
    }),
  ];
  return rows.join('\n');
}

/** A step's set-up block and its experiments as a numbered list. */
export function stepBlock(step: StepScenario): string {
  const parts: string[] = [
    'Set up (after `pulumi up --stack $STACK`, in the shell of the preamble above):',
    '',
    fenced(setupScript(step)),
    '',
    'Try it:',
    '',
  ];
  let number = 0;
  // A list item's blocks are indented by the width of its marker (`9. ` three, `10. ` four).
  let indent = '   ';
  for (const item of step.items) {
    if (!isExperiment(item)) {
      parts.push(
        `${indent}Then${item.comment ? ` (${item.comment})` : ''}:`,
        '',
        fenced(item.command, indent),
        '',
      );
      continue;
    }
    number += 1;
    indent = ' '.repeat(`${number}. `.length);
    const where = item.clusterOnly === undefined ? '' : ` _(cluster only: ${item.clusterOnly})_`;
    parts.push(
      `${number}. **${sentence(item.title)}**${where}`,
      '',
      fenced(clusterCommand(item), indent),
      '',
    );
    parts.push(`${indent}You should see: ${item.expect.shows}.`, '');
  }
  return parts.join('\n').trimEnd();
}

/** The generated blocks by name. */
export function guideBlocks(): Map<string, string> {
  const blocks = new Map<string, string>([
    ['steps-table', stepsTable()],
    ['preamble', fenced(PREAMBLE)],
  ]);
  for (const step of scenarios()) blocks.set(`step-${step.number}`, stepBlock(step));
  return blocks;
}

/**
 * The guide as `--write-guide` writes it: blocks up to date, then formatted by Prettier with the
 * repository's settings, so `prettier --check` and the guide test agree.
 */
export async function renderGuide(text: string, file: string): Promise<string> {
  const options = (await prettier.resolveConfig(file)) ?? {};
  return prettier.format(updateGuide(text), { ...options, filepath: file });
}

/** The guide with every generated block brought up to date; fails on a missing or unknown marker. */
export function updateGuide(text: string): string {
  const blocks = guideBlocks();
  const seen = new Set<string>();
  const updated = text.replace(
    /(<!-- walk:([a-z0-9-]+) -->)\n[\s\S]*?(<!-- \/walk:\2 -->)/g,
    (_whole, open: string, name: string, close: string) => {
      const block = blocks.get(name);
      if (block === undefined)
        throw new WalkError(`docs/guide.md has a block walk:${name} the scenarios do not write`);
      seen.add(name);
      return `${open}\n\n${block}\n\n${close}`;
    },
  );
  const missing = [...blocks.keys()].filter((name) => !seen.has(name));
  if (missing.length > 0)
    throw new WalkError(`docs/guide.md lacks the generated block(s) ${missing.join(', ')}`);
  return updated;
}
