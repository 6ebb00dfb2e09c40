// What the site shows, computed from the project's own sources: the catalog and the guide's steps,
// the program synthesized for every control set a page shows, the policy pack over each, the
// architecture drawn from each, and the attributed diff of each step.
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import {
  CONTROL_IDS,
  type ControlId,
  getControl,
  GUIDE_ORDER,
  GUIDE_STEPS,
  resolveControls,
} from '@secure-workshop/contracts';
import { REPO_ROOT } from '../../infra/testing/stack-config';
import { checkStack, loadPolicyRunner, type PolicyRunner } from '../../infra/tools/check';
import { attributeDiff, type Hop, type StackDiff } from '../../infra/tools/diff';
import { SynthesisPool } from '../../infra/tools/diff-path';
import { drawArchitecture } from '../../infra/tools/draw';
import type { SynthResult } from '../../infra/tools/model';
import { type GuideSection, guideSections } from './guide';

/** The stack every page is rendered as: the guide's own `dev` stack, from the end stack's file. */
export const SITE_STACK = { stack: 'end', stackName: 'dev' } as const;

export interface Finding {
  /** Policy, object and message: the same finding in two control sets has the same key. */
  key: string;
  policy: string;
  owasp: string;
  control: string;
  object: string;
  message: string;
  remediation: string;
  mandatory: boolean;
}

export interface SiteState {
  /** In the guide's order. */
  controls: ControlId[];
  svg: string;
  findings: Finding[];
}

export interface SitePage {
  /** 0 for the start, the guide step's number otherwise. */
  step: number;
  file: string;
  title: string;
  theme?: string;
  adds: ControlId[];
  before?: SiteState;
  after: SiteState;
  diff?: StackDiff;
  section?: GuideSection;
}

export interface SiteModel {
  pages: SitePage[];
  /** Every control set the overview can show, by `stateKey`. */
  states: Map<string, SiteState>;
  /** Where docs/guide.md has no section for a step. */
  warnings: string[];
}

/** One spelling per control set: its ids in the guide's order, comma-separated ('' for none). */
export function stateKey(controls: readonly string[]): string {
  return GUIDE_ORDER.filter((id) => controls.includes(id)).join(',');
}

/** The guide's stops: no control, then one more control at a time in the guide's order. */
export function guidePrefixes(): ControlId[][] {
  return Array.from({ length: GUIDE_ORDER.length + 1 }, (_, size) => GUIDE_ORDER.slice(0, size));
}

/**
 * The control sets the overview can reach: every stop of the guide, the start plus any one control
 * that needs no other, and the end without any one control that no other needs. All 2^13 subsets
 * would be thousands of syntheses; these are 29, and each is a valid stack.
 */
export function overviewSets(): ControlId[][] {
  const sets = [
    ...guidePrefixes(),
    ...CONTROL_IDS.filter((id) => getControl(id).requires.length === 0).map((id) => [id]),
    ...CONTROL_IDS.filter((id) => !CONTROL_IDS.some((other) => getControl(other).requires.includes(id))).map(
      (id) => CONTROL_IDS.filter((other) => other !== id),
    ),
  ];
  const unique = new Map(sets.map((set) => [stateKey(set), GUIDE_ORDER.filter((id) => set.includes(id))]));
  for (const set of unique.values()) resolveControls(set);
  return [...unique.values()];
}

function findings(result: SynthResult, runner: PolicyRunner): Promise<Finding[]> {
  return checkStack(result, runner).then((report) =>
    report.violations.map((violation) => {
      const object =
        violation.urn === undefined ? 'the stack' : (report.objectNames.get(violation.urn) ?? violation.urn);
      return {
        key: `${violation.policy} ${object} ${violation.message}`,
        policy: violation.policy,
        owasp: violation.owaspCategory,
        control: violation.control,
        object,
        message: violation.message.split('\n')[0] as string,
        remediation: violation.remediation,
        mandatory: violation.enforcementLevel === 'mandatory',
      };
    }),
  );
}

export interface CollectOptions {
  pool?: SynthesisPool;
  guideFile?: string;
  /** Called as each synthesis finishes, for progress on a terminal. */
  progress?: (done: number, total: number) => void;
}

/** Synthesizes every set the site shows (in parallel, each once) and derives the pages from them. */
export async function collectSite(options: CollectOptions = {}): Promise<SiteModel> {
  const pool = options.pool ?? new SynthesisPool();
  const sets = overviewSets();
  const runner = await loadPolicyRunner();
  let done = 0;
  const states = new Map<string, SiteState>();
  const results = new Map<string, SynthResult>();
  await Promise.all(
    sets.map(async (controls) => {
      const result = await pool.synthesize({ ...SITE_STACK, controls });
      const { svg } = drawArchitecture(result);
      states.set(stateKey(controls), { controls, svg, findings: await findings(result, runner) });
      results.set(stateKey(controls), result);
      done += 1;
      options.progress?.(done, sets.length);
    }),
  );
  const prefixes = guidePrefixes();
  const renders = prefixes.map((prefix) => results.get(stateKey(prefix)) as SynthResult);
  const hops: Hop[] = GUIDE_ORDER.map((id) => ({
    kind: 'control',
    control: getControl(id),
    direction: 'added',
  }));
  const guideText = readFileSync(options.guideFile ?? path.join(REPO_ROOT, 'docs', 'guide.md'), 'utf8');
  const sections = guideSections(guideText);
  const warnings: string[] = [];
  const state = (controls: readonly string[]): SiteState => states.get(stateKey(controls)) as SiteState;
  const pages: SitePage[] = [
    {
      step: 0,
      file: 'start.html',
      title: 'The starting point',
      adds: [],
      after: state([]),
      ...(sections.has(0) ? { section: sections.get(0) as GuideSection } : {}),
    },
  ];
  let reached = 0;
  for (const step of GUIDE_STEPS) {
    const from = reached;
    reached += step.adds.length;
    const section = sections.get(step.number);
    pages.push({
      step: step.number,
      file: step.stack === 'end' ? 'end.html' : `${step.stack}.html`,
      title: step.title,
      theme: step.theme,
      adds: [...step.adds],
      before: state(GUIDE_ORDER.slice(0, from)),
      after: state(GUIDE_ORDER.slice(0, reached)),
      diff: attributeDiff(renders.slice(from, reached + 1), hops.slice(from, reached)),
      ...(section === undefined ? {} : { section }),
    });
  }
  for (const page of pages)
    if (page.section === undefined) warnings.push(`docs/guide.md has no "## Step ${page.step}" section`);
  return { pages, states, warnings };
}
