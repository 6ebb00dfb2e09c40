// The pages of the site, as HTML strings: the home page, one page per step of the guide, and the
// start <-> end overview whose toggles redraw the picture (tools/site/assets/overview.js).
import {
  CONTROLS,
  type ControlId,
  getControl,
  GUIDE_ORDER,
  GUIDE_STEPS,
  OWASP_TITLES,
  type OwaspCategory,
} from '@secure-workshop/contracts';
import { type ControlLink, diffHtml } from './diff-html';
import type { Experiment } from './guide';
import { escapeHtml, inlineMarkdown, inlineSvg, type NavEntry, pageHtml } from './html';
import { type Finding, SITE_STACK, type SiteModel, type SitePage, type SiteState, stateKey } from './model';

export const OVERVIEW_FILE = 'overview.html';

function navigation(model: SiteModel): NavEntry[] {
  return [
    { file: 'index.html', label: 'Home' },
    ...model.pages.map((page) => ({
      file: page.file,
      label: page.step === 0 ? 'Start' : `Step ${page.step}`,
    })),
    { file: OVERVIEW_FILE, label: 'Start ↔ end' },
  ];
}

/** The step page that adds each control, at the control's entry. */
function controlLinks(model: SiteModel): { entry: ControlLink; changes: ControlLink } {
  const pageOf = new Map<string, string>();
  for (const page of model.pages) for (const id of page.adds) pageOf.set(id, page.file);
  return {
    entry: (id) => `${pageOf.get(id) ?? OVERVIEW_FILE}#control-${id}`,
    changes: (id) => `${pageOf.get(id) ?? OVERVIEW_FILE}#diff-${id}`,
  };
}

function pageHeading(page: SitePage): string {
  if (page.step === 0) return 'Step 0: the starting point';
  const theme = page.theme !== undefined && page.theme !== 'zero trust' ? `${page.theme} ` : '';
  return `Step ${page.step}: ${theme}${page.title}`;
}

function stateLabel(state: SiteState): string {
  return state.controls.length === 0 ? 'no control' : state.controls.join(', ');
}

function picture(state: SiteState, prefix: string, caption: string): string {
  const label = `Architecture of stack ${SITE_STACK.stackName} with ${stateLabel(state)}: workloads as boxes, each connection labelled with its protocol, TLS and authentication.`;
  return `<figure><figcaption>${caption}</figcaption><div class="picture">${inlineSvg(state.svg, prefix, label)}</div></figure>`;
}

/** A policy finding as the pages and overview.js show it (the script builds the same markup). */
type FindingView = Pick<Finding, 'mandatory' | 'owasp' | 'policy' | 'object' | 'control' | 'message'> & {
  href: string;
};

function findingHtml(finding: FindingView): string {
  const level = finding.mandatory
    ? '<span class="level fail">FAIL</span>'
    : '<span class="level warn">WARN</span>';
  return `<li>${level} ${finding.owasp} <code>${escapeHtml(finding.policy)}</code> on ${escapeHtml(finding.object)}, fixed by <a href="${finding.href}">${escapeHtml(finding.control)}</a><br><span class="message">${escapeHtml(finding.message)}</span></li>`;
}

function findingList(findings: readonly Finding[], link: ControlLink): string {
  if (findings.length === 0) return '<p>None.</p>';
  return `<ul class="findings">${findings.map((finding) => findingHtml({ ...finding, href: link(finding.control) })).join('')}</ul>`;
}

function mandatoryCount(state: SiteState): number {
  return state.findings.filter((finding) => finding.mandatory).length;
}

function controlEntry(id: ControlId, link: ControlLink): string {
  const control = getControl(id);
  const requires =
    control.requires.length === 0
      ? 'needs no other control'
      : `builds on ${control.requires.map((other) => `<a href="${link(other)}">${other}</a>`).join(', ')}`;
  return `<article class="control" id="control-${id}"><h3><code>${id}</code> ${escapeHtml(control.title)}</h3><p class="meta">${OWASP_TITLES[control.owasp]} · ${requires}</p><p>${escapeHtml(control.why)}</p></article>`;
}

function experimentHtml(experiment: Experiment): string {
  const intro = experiment.intro === '' ? '' : `<p>${inlineMarkdown(experiment.intro)}</p>`;
  const outcome =
    experiment.outcome === undefined ? '' : `<p class="outcome">${inlineMarkdown(experiment.outcome)}</p>`;
  const language = experiment.language === '' ? '' : ` data-language="${escapeHtml(experiment.language)}"`;
  return `<div class="experiment">${intro}<pre tabindex="0"${language}><code>${escapeHtml(experiment.code)}</code></pre>${outcome}</div>`;
}

function experimentsSection(page: SitePage): string {
  const experiments = page.section?.experiments ?? [];
  const body =
    experiments.length === 0
      ? `<p>docs/guide.md has no commands for step ${page.step}.</p>`
      : experiments.map(experimentHtml).join('\n');
  return `<section aria-labelledby="experiments"><h2 id="experiments">Experiments</h2><p>From <code>docs/guide.md</code>${page.section ? `, “${inlineMarkdown(page.section.heading)}”` : ''}. They assume the set-up at the top of the guide (the cluster, the shell variables, the stack you deploy to).</p>${body}</section>`;
}

function policySection(page: SitePage, link: ControlLink): string {
  const after = page.after.findings;
  if (page.before === undefined) {
    return `<section aria-labelledby="policies"><h2 id="policies">Policy results</h2><p>The policy pack finds ${mandatoryCount(page.after)} mandatory violations and ${after.length - mandatoryCount(page.after)} advisory ones in the start stack; each names the control that fixes it.</p>${findingList(after, link)}</section>`;
  }
  const beforeKeys = new Set(page.before.findings.map((finding) => finding.key));
  const afterKeys = new Set(after.map((finding) => finding.key));
  const fixed = page.before.findings.filter((finding) => !afterKeys.has(finding.key));
  const introduced = after.filter((finding) => !beforeKeys.has(finding.key));
  const remaining = after.filter((finding) => beforeKeys.has(finding.key));
  return `<section aria-labelledby="policies"><h2 id="policies">Policy results</h2>
<h3 id="now-passing">Failing before this step, passing after it (${fixed.length})</h3>${findingList(fixed, link)}
${introduced.length > 0 ? `<h3 id="newly-failing">Failing only after this step (${introduced.length})</h3>${findingList(introduced, link)}` : ''}
<h3 id="still-failing">Still failing (${remaining.length})</h3>${remaining.length === 0 ? '<p>None: every policy passes.</p>' : `<details><summary>Show the ${remaining.length} findings later steps fix</summary>${findingList(remaining, link)}</details>`}</section>`;
}

function contents(entries: Array<[string, string]>): string {
  return `<nav class="contents" aria-label="On this page"><ul>${entries.map(([id, label]) => `<li><a href="#${id}">${label}</a></li>`).join('')}</ul></nav>`;
}

export function stepPage(model: SiteModel, index: number): string {
  const page = model.pages[index] as SitePage;
  const nav = navigation(model);
  const links = controlLinks(model);
  const previous = model.pages[index - 1];
  const next = model.pages[index + 1];
  const fixedCount = page.before === undefined ? 0 : mandatoryCount(page.before) - mandatoryCount(page.after);
  const lead =
    page.step === 0
      ? `The workshop's starting point: a small bank back end (an API over PostgreSQL and a batch reconciler) with no security control at all. The policy pack finds ${mandatoryCount(page.after)} mandatory violations.`
      : `This step turns on ${page.adds.map((id) => `<a href="#control-${id}"><code>${id}</code></a>`).join(', ')}. Mandatory policy violations: ${mandatoryCount(page.before as SiteState)} before, ${mandatoryCount(page.after)} after (${fixedCount >= 0 ? `${fixedCount} fewer` : `${-fixedCount} more`}).`;
  const sections: string[] = [];
  const toc: Array<[string, string]> = [];
  if (page.adds.length > 0) {
    toc.push(['controls', 'Controls']);
    sections.push(
      `<section aria-labelledby="controls"><h2 id="controls">Controls this step adds</h2>${page.adds.map((id) => controlEntry(id, links.entry)).join('\n')}</section>`,
    );
  }
  toc.push(['architecture', 'Architecture']);
  const pictures =
    page.before === undefined
      ? picture(page.after, `p${page.step}`, `The start stack (${stateLabel(page.after)}).`)
      : `${picture(page.before, `p${page.step}-before`, `Before: ${stateLabel(page.before)}.`)}${picture(page.after, `p${page.step}-after`, `After: ${stateLabel(page.after)}.`)}`;
  sections.push(
    `<section aria-labelledby="architecture"><h2 id="architecture">Architecture</h2><p>Drawn from the rendered objects: red dashed edges are plaintext, green ones TLS, thick dark green ones mutual TLS.</p>${pictures}</section>`,
  );
  toc.push(['experiments', 'Experiments'], ['policies', 'Policy results']);
  sections.push(experimentsSection(page), policySection(page, links.entry));
  if (page.diff !== undefined) {
    toc.push(['changes', 'What changes']);
    sections.push(
      `<section aria-labelledby="changes"><h2 id="changes">What changes, field by field</h2>${diffHtml(page.diff, 2, links.changes)}</section>`,
    );
  }
  const body = `<h1>${inlineMarkdown(pageHeading(page))}</h1>
<p class="lead">${lead}</p>
${contents(toc)}
${sections.join('\n')}`;
  const entry = (candidate: SitePage | undefined): NavEntry | undefined =>
    candidate === undefined ? undefined : (nav.find((item) => item.file === candidate.file) as NavEntry);
  return pageHtml({
    file: page.file,
    title: pageHeading(page).replace(/`/g, ''),
    nav,
    body,
    ...(entry(previous) ? { previous: entry(previous) as NavEntry } : { previous: nav[0] as NavEntry }),
    ...(entry(next) ? { next: entry(next) as NavEntry } : { next: nav[nav.length - 1] as NavEntry }),
  });
}

export function indexPage(model: SiteModel): string {
  const nav = navigation(model);
  const links = controlLinks(model);
  const rows = model.pages
    .map((page) => {
      const theme =
        page.step === 0
          ? ''
          : page.theme === 'zero trust'
            ? 'zero trust'
            : OWASP_TITLES[page.theme as OwaspCategory];
      const adds = page.adds.length === 0 ? 'none' : page.adds.map((id) => `<code>${id}</code>`).join(', ');
      return `<tr><th scope="row"><a href="${page.file}">${page.step === 0 ? 'Start' : `Step ${page.step}`}</a></th><td>${escapeHtml(theme)}</td><td>${adds}</td><td class="number">${mandatoryCount(page.after)}</td></tr>`;
    })
    .join('\n');
  const catalog = CONTROLS.map(
    (control) =>
      `<li><a href="${links.entry(control.id)}"><code>${control.id}</code></a> (${control.owasp}): ${escapeHtml(control.title)}</li>`,
  ).join('');
  const body = `<h1>The workshop, control by control</h1>
<p class="lead">One small bank back end, deployed to Kubernetes by one Pulumi TypeScript program: first with no protection at all, then hardened one <strong>control</strong> at a time along the OWASP Top 10 (2021) and a book chapter on microservice security, until every control of the catalog is on.</p>
<p>Each step page shows the controls it adds and why, the architecture before and after, the commands to try, the policies that turn from failing to passing, and every field of every Kubernetes object that changes, under the control that changed it. The <a href="${OVERVIEW_FILE}">start ↔ end overview</a> lets you switch controls on and off and watch the picture and the remaining policy failures change.</p>
<section aria-labelledby="steps"><h2 id="steps">The steps</h2>
<table><caption>The guide's steps and the mandatory policy violations left after each</caption>
<thead><tr><th scope="col">Step</th><th scope="col">Theme</th><th scope="col">Controls added</th><th scope="col">Violations left</th></tr></thead>
<tbody>${rows}</tbody></table></section>
<section aria-labelledby="catalog"><h2 id="catalog">The controls</h2><ul class="catalog">${catalog}</ul></section>`;
  return pageHtml({ file: 'index.html', title: 'The workshop', nav, body, next: nav[1] as NavEntry });
}

/** The overview's data, inlined in its page: no file is fetched, so it works from file:// too. */
export interface OverviewData {
  controls: Array<{ id: string; title: string; requires: string[]; step: number }>;
  states: Array<{ key: string; label: string; svg: string; findings: number[] }>;
  findings: FindingView[];
  presets: Array<{ label: string; key: string }>;
  initial: string;
}

function describeState(controls: readonly ControlId[]): string {
  const key = stateKey(controls);
  let reached = 0;
  for (const step of [{ number: 0, adds: [] as readonly ControlId[], title: 'the start' }, ...GUIDE_STEPS]) {
    reached += step.adds.length;
    if (key === stateKey(GUIDE_ORDER.slice(0, reached)))
      return step.number === 0
        ? 'the start stack (no control)'
        : step.number === GUIDE_STEPS.length
          ? `the end stack (every control, guide step ${step.number})`
          : `guide step ${step.number} (${step.title})`;
  }
  if (controls.length === 1) return `the start stack plus ${controls[0]}`;
  if (key === stateKey(GUIDE_ORDER.slice(0, controls.length)))
    return `the guide's first ${controls.length} controls, part of the way through a step`;
  const missing = GUIDE_ORDER.filter((id) => !controls.includes(id));
  return `the end stack without ${missing.join(', ')}`;
}

export function overviewData(model: SiteModel): OverviewData {
  const links = controlLinks(model);
  const stepOf = new Map<string, number>();
  for (const page of model.pages) for (const id of page.adds) stepOf.set(id, page.step);
  const findings: OverviewData['findings'] = [];
  const findingIndex = new Map<string, number>();
  const states = [...model.states.values()].map((state) => ({
    key: stateKey(state.controls),
    label: describeState(state.controls),
    svg: inlineSvg(state.svg, 'overview', `Architecture with ${stateLabel(state)}.`),
    findings: state.findings.map((finding) => {
      let index = findingIndex.get(finding.key);
      if (index === undefined) {
        index = findings.length;
        findings.push({
          mandatory: finding.mandatory,
          owasp: finding.owasp,
          policy: finding.policy,
          object: finding.object,
          control: finding.control,
          href: links.entry(finding.control),
          message: finding.message,
        });
        findingIndex.set(finding.key, index);
      }
      return index;
    }),
  }));
  let reached = 0;
  const presets = [
    { label: 'Start', key: '' },
    ...GUIDE_STEPS.map((step) => {
      reached += step.adds.length;
      return {
        label: step.number === GUIDE_STEPS.length ? `Step ${step.number} (end)` : `Step ${step.number}`,
        key: stateKey(GUIDE_ORDER.slice(0, reached)),
      };
    }),
  ];
  return {
    controls: GUIDE_ORDER.map((id) => ({
      id,
      title: getControl(id).title,
      requires: [...getControl(id).requires],
      step: stepOf.get(id) ?? 0,
    })),
    states,
    findings,
    presets,
    initial: '',
  };
}

/** JSON inside a script element: nothing in it may close the element. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c');
}

export function overviewPage(model: SiteModel): string {
  const nav = navigation(model);
  const data = overviewData(model);
  const initial = data.states.find((state) => state.key === data.initial) as OverviewData['states'][number];
  const groups = model.pages
    .filter((page) => page.adds.length > 0)
    .map(
      (page) =>
        `<fieldset><legend>Step ${page.step}: ${escapeHtml(page.title)}</legend>${page.adds
          .map(
            (id) =>
              `<div class="toggle"><input type="checkbox" id="toggle-${id}" data-control="${id}" aria-describedby="reason-${id}"><label for="toggle-${id}"><code>${id}</code> ${escapeHtml(getControl(id).title)}</label> <span class="reason" id="reason-${id}"></span></div>`,
          )
          .join('')}</fieldset>`,
    )
    .join('\n');
  const presets = data.presets
    .map((preset) => `<button type="button" data-preset="${preset.key}">${escapeHtml(preset.label)}</button>`)
    .join(' ');
  const initialFindings = initial.findings
    .map((index) => data.findings[index])
    .filter((f) => f !== undefined);
  const body = `<h1>Start ↔ end: switch controls on and off</h1>
<p class="lead">Each switch redraws the architecture and lists the policy failures that remain. The pictures and results are the program's own, synthesized for every control set this page can show (${data.states.length} of them): each stop of the guide, the start stack plus any one control that needs no other, and the end stack without any one control that no other needs. A switch that would leave those sets, or break a requirement, is greyed out and says why; the step buttons jump to the guide's stops, from where the other switches open up.</p>
<noscript><p>The switches need JavaScript; without it this page shows the start stack.</p></noscript>
<section aria-labelledby="switches"><h2 id="switches">Controls</h2>
<div class="presets" role="group" aria-label="Jump to a step of the guide">${presets}</div>
<form class="toggles" id="toggles">${groups}</form></section>
<section aria-labelledby="showing"><h2 id="showing">Architecture</h2>
<p id="status" class="status" role="status" aria-live="polite">Showing ${escapeHtml(initial.label)}.</p>
<figure><div class="picture" id="picture">${initial.svg}</div></figure></section>
<section aria-labelledby="remaining"><h2 id="remaining">Remaining policy failures</h2>
<p id="failure-count">${initialFindings.filter((f) => f.mandatory).length} mandatory, ${initialFindings.filter((f) => !f.mandatory).length} advisory.</p>
<ul class="findings" id="failures">${initialFindings.map(findingHtml).join('')}</ul></section>
<script type="application/json" id="overview-data">${scriptJson(data)}</script>`;
  return pageHtml({
    file: OVERVIEW_FILE,
    title: 'Start ↔ end',
    nav,
    body,
    scripts: ['overview.js'],
    wide: true,
    previous: nav[nav.length - 2] as NavEntry,
  });
}
