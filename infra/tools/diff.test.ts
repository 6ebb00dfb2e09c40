// The attributed diff: the path it walks (pure), and start -> end over the real program, where every
// field must land under exactly the control that made it.
import { beforeAll, describe, expect, it } from 'vitest';
import {
  CONTROLS,
  CONTROL_IDS,
  controlsAtStep,
  GUIDE_ORDER,
  resolveControls,
  withRequirements,
} from '@secure-workshop/contracts';
import {
  attributeDiff,
  comparables,
  fieldChanges,
  flatten,
  type Hop,
  naturalOrder,
  type StackDiff,
} from './diff';
import { changedLines, describeField, diffJson, formatDiff, inlineCode, NOTHING_LEFT } from './diff-format';
import {
  type AttributionPath,
  attributedDiff,
  pathSets,
  planPath,
  STACK_NAME,
  SynthesisPool,
  synthesizePath,
} from './diff-path';
import type { SynthResult } from './model';
import { secretFragments } from './secrets';

describe('the path from one control set to another', () => {
  const sets: string[][] = [
    [],
    [...CONTROL_IDS],
    ...CONTROL_IDS.map((id) => withRequirements(id)),
    ...[0, 1, 2, 3, 4, 5, 6].map(controlsAtStep),
    CONTROL_IDS.filter((id) => !['authz-scopes', 'db-firewall', 'mtls-internal'].includes(id)),
  ];

  it('adds in the guide order, removes latest first, and every stop is a valid stack', () => {
    expect(planPath([], CONTROL_IDS).map((hop) => hop.control)).toEqual([...GUIDE_ORDER]);
    expect(planPath(CONTROL_IDS, []).map((hop) => hop.control)).toEqual([...GUIDE_ORDER].reverse());
    for (const from of sets)
      for (const to of sets) {
        const hops = planPath(from, to);
        const stops = pathSets(from, hops);
        for (const stop of stops)
          expect(() => resolveControls(stop), `${from} -> ${to}: ${stop}`).not.toThrow();
        expect([...(stops.at(-1) ?? [])].sort()).toEqual([...to].sort());
        // The way back is the same stops in reverse.
        expect(pathSets(to, planPath(to, from)).map((stop) => stop.join())).toEqual(
          [...stops].reverse().map((stop) => stop.join()),
        );
      }
  });

  it('shows the lines a multi-line value changed', () => {
    const field = {
      path: 'data.rules',
      from: JSON.stringify('a\nb\nc\nd'),
      to: JSON.stringify('a\nB\nc\nd'),
    };
    expect(describeField(field)).toBe('~ data.rules: 4 lines, changed as follows');
    expect(changedLines(field)).toEqual(['- b', '+ B']);
    expect(changedLines({ path: 'x', from: '"a"', to: '"b"' })).toEqual([]);
  });

  it('orders paths naturally: args[2] before args[10]', () => {
    expect(['a[10]', 'a[2]', 'a[1].x', 'a[1]'].sort(naturalOrder)).toEqual([
      'a[1]',
      'a[1].x',
      'a[2]',
      'a[10]',
    ]);
  });
});

describe('SynthesisPool', () => {
  it('runs each distinct synthesis once and at most `limit` at a time', async () => {
    let running = 0;
    let peak = 0;
    const pool = new SynthesisPool(2, async (options) => {
      running += 1;
      peak = Math.max(peak, running);
      await new Promise((resolve) => setTimeout(resolve, 20));
      running -= 1;
      return { stack: options.stack, controls: options.controls ?? [] } as SynthResult;
    });
    const results = await Promise.all([
      pool.synthesize({ stack: 'end', controls: ['authn-jwt', 'authz-scopes'] }),
      pool.synthesize({ stack: 'end', controls: ['authz-scopes', 'authn-jwt'] }),
      pool.synthesize({ stack: 'end', controls: [] }),
      pool.synthesize({ stack: 'end' }),
      pool.synthesize({ stack: 'start' }),
    ]);
    expect(pool.started).toBe(4);
    expect(peak).toBe(2);
    expect(results[0]).toBe(results[1]);
  });

  it('reports bad input as a rejection, not a throw', async () => {
    await expect(new SynthesisPool(1).synthesize({ stack: 'nosuch' })).rejects.toThrow(
      /unknown stack 'nosuch'/,
    );
  });
});

/** Every field line of a text or Markdown diff, keyed by the control section it is printed under. */
function sections(text: string, markdown: boolean): Map<string, string> {
  const found = new Map<string, string>();
  const header = markdown ? /^#### `([a-z-]+)`/ : /^ {2}\[([a-z-]+)\] /;
  let current: string | undefined;
  for (const line of text.split('\n')) {
    const match = header.exec(line);
    if (match) current = match[1] as string;
    else if (/^#{1,3} |^A\d\d:2021 |^Not from a control/.test(line)) current = undefined;
    else if (current !== undefined) found.set(current, `${found.get(current) ?? ''}${line}\n`);
  }
  return found;
}

function fieldsUnder(diff: StackDiff, control: string, kind: string, name: string): string[] {
  const group = diff.categories.flatMap((c) => c.controls).find((g) => g.control.id === control);
  return (group?.changes ?? [])
    .filter((change) => change.kind === kind && change.name === name)
    .flatMap((change) => change.fields.map((field) => field.path));
}

function objectsUnder(diff: StackDiff, control: string): string[] {
  const group = diff.categories.flatMap((c) => c.controls).find((g) => g.control.id === control);
  return (group?.changes ?? []).map((change) => `${change.action} ${change.kind} ${change.name}`);
}

describe('diff start end, attributed along the guide', () => {
  let path: AttributionPath;
  let diff: StackDiff;
  let headersOnly: StackDiff;
  let renamed: StackDiff;
  let pool: SynthesisPool;

  // Fourteen stops from start to end, two for a one-control step, one more stack name.
  beforeAll(async () => {
    pool = new SynthesisPool();
    [path, headersOnly, renamed] = await Promise.all([
      synthesizePath({ stack: 'start' }, { stack: 'end' }, pool),
      attributedDiff(
        { stack: 'step3' },
        { stack: 'step3', controls: [...controlsAtStep(3), 'security-headers'] },
        pool,
      ),
      attributedDiff({ stack: 'end' }, { stack: 'end', stackName: 'elsewhere' }, pool),
    ]);
    diff = attributeDiff(path.renders, path.hops);
  }, 600_000);

  it('walks start, start as the end stack, then one control at a time in the guide order', () => {
    expect(path.renders.map((render) => `${render.stack}:${render.controls.length}`)).toEqual([
      'start:0',
      ...Array.from({ length: GUIDE_ORDER.length + 1 }, (_, index) => `end:${index}`),
    ]);
    // The first step only renames the stack, which no object of start shows once normalized.
    expect(path.hops.map((hop) => (hop.kind === 'control' ? hop.control.id : hop.keys.join()))).toEqual([
      STACK_NAME,
      ...GUIDE_ORDER,
    ]);
    expect(diff.unattributed).toEqual([]);
  });

  it("puts the API's PGHOST under db-firewall, PORT under tls-in-transit, its hardening under pod-hardening", () => {
    const api = (control: string): string[] => fieldsUnder(diff, control, 'Deployment', 'api');
    expect(api('db-firewall')).toContain('spec.template.spec.containers[api].env[PGHOST].value');
    expect(api('tls-in-transit')).toContain('spec.template.spec.containers[api].env[PORT].value');
    const hardening = [...[...api('pod-hardening')].filter((field) => /securityContext|Probe/.test(field))];
    expect(hardening).toEqual(
      expect.arrayContaining([
        'spec.template.spec.containers[api].securityContext.runAsNonRoot',
        'spec.template.spec.containers[api].securityContext.readOnlyRootFilesystem',
        'spec.template.spec.containers[api].livenessProbe.httpGet.path',
        'spec.template.spec.containers[api].readinessProbe.httpGet.path',
        'spec.template.spec.securityContext.seccompProfile.type',
      ]),
    );
    for (const control of CONTROL_IDS.filter((id) => id !== 'pod-hardening')) {
      const elsewhere = api(control).filter((field) => /securityContext|Probe/.test(field));
      // The one exception the program means: the group that lets the app read its secret files.
      expect(
        elsewhere.filter((field) => field !== 'spec.template.spec.securityContext.fsGroup'),
        control,
      ).toEqual([]);
    }
    // The Pod Security labels come in a NamespacePatch, diffed merged into its Namespace.
    expect(fieldsUnder(diff, 'pod-hardening', 'Namespace', 'workshop-{stack}')).toContain(
      'metadata.labels.pod-security.kubernetes.io/enforce',
    );
    const text = formatDiff(diff, 'text');
    expect(text).not.toContain('NamespacePatch');
    const section = sections(text, false);
    expect(section.get('db-firewall')).toContain('env[PGHOST].value: postgres -> jumpwire');
    expect(section.get('tls-in-transit')).toContain('env[PORT].value: 3000 -> 8443');
    expect(section.get('authn-jwt')).not.toMatch(/PGHOST|env\[PORT\]|runAsNonRoot|Probe/);
  });

  it("puts the CA's ClusterIssuer and the Certificates under tls-in-transit and db-tls (A02)", () => {
    expect(objectsUnder(diff, 'tls-in-transit')).toEqual(
      expect.arrayContaining(['added ClusterIssuer secure-workshop-{stack}-ca', 'added Certificate api-tls']),
    );
    expect(objectsUnder(diff, 'db-tls')).toContain('added Certificate postgres-tls');
    const a02 = diff.categories.find((category) => category.owasp === 'A02');
    expect(a02?.controls.map((group) => group.control.id)).toEqual(
      expect.arrayContaining(['tls-in-transit', 'db-tls']),
    );
    // cert-manager itself belongs to the add-ons stack.
    expect(formatDiff(diff, 'text')).not.toMatch(/HelmRelease cert-manager/);
  });

  it('names what a field builds on: the token URL turns https with tls-in-transit, after authn-jwt', () => {
    const group = diff.categories.flatMap((c) => c.controls).find((g) => g.control.id === 'tls-in-transit');
    const field = group?.changes
      .find((change) => change.name === 'reconciler')
      ?.fields.find((f) => f.path.endsWith('env[OAUTH_TOKEN_URL].value'));
    expect(field).toMatchObject({ to: '"https://api/oauth/token"', buildsOn: ['authn-jwt'] });
    expect(formatDiff(diff, 'text')).toContain(
      'env[OAUTH_TOKEN_URL].value: https://api/oauth/token (builds on authn-jwt)',
    );
  });

  it('shows every field and every object of the diff under exactly one control', () => {
    const [first, last] = [
      comparables(path.renders[0] as SynthResult),
      comparables(path.renders.at(-1) as SynthResult),
    ];
    const expected = new Set<string>();
    for (const key of new Set([...first.keys(), ...last.keys()])) {
      const [a, b] = [first.get(key), last.get(key)];
      if (a === undefined || b === undefined) expected.add(`${key} ${a === undefined ? 'added' : 'removed'}`);
      else
        for (const change of fieldChanges(flatten(a.body), flatten(b.body)))
          expected.add(`${key} ${change.path}`);
    }
    const shown: string[] = [];
    const laterFields: string[] = [];
    for (const group of diff.categories.flatMap((c) => c.controls))
      for (const change of group.changes) {
        const key = `${change.kind}/${change.namespace}/${change.name}`;
        if (change.action !== 'changed') shown.push(`${key} ${change.action}`);
        else if (change.addedBy === undefined)
          shown.push(...change.fields.map((field) => `${key} ${field.path}`));
        else laterFields.push(...change.fields.map((field) => `${key} ${field.path}`));
      }
    expect(diff.unattributed).toEqual([]);
    expect(new Set(shown).size).toBe(shown.length);
    expect(new Set(shown)).toEqual(expected);
    expect(new Set(laterFields).size).toBe(laterFields.length);
    expect(diff.total).toBe(new Set([...expected].map((entry) => entry.split(' ')[0])).size);
  });

  it('attributes the reverse diff (end -> start) to the same controls', () => {
    const reversedHops = [...path.hops]
      .reverse()
      .map((hop): Hop => (hop.kind === 'control' ? { ...hop, direction: 'removed' } : hop));
    const back = attributeDiff([...path.renders].reverse(), reversedHops);
    const owners = (d: StackDiff, flip: boolean): string[] =>
      d.categories
        .flatMap((c) => c.controls)
        .flatMap((group) =>
          group.changes.flatMap((change) =>
            change.addedBy !== undefined
              ? []
              : change.action === 'changed'
                ? change.fields.map(
                    (f) =>
                      `${group.control.id} ${change.name} ${f.path} ${flip ? `${f.to}>${f.from}` : `${f.from}>${f.to}`}`,
                  )
                : [`${group.control.id} ${change.name} ${change.action === 'added' ? 'exists' : 'gone'}`],
          ),
        )
        .sort();
    const flipObjects = (line: string): string =>
      line
        .replace(/ exists$/, ' EXISTS')
        .replace(/ gone$/, ' exists')
        .replace(/ EXISTS$/, ' gone');
    expect(owners(back, true).map(flipObjects).sort()).toEqual(owners(diff, false));
    expect(back.controlsRemoved).toEqual([...GUIDE_ORDER].reverse());
    expect(formatDiff(back, 'text')).toContain(
      '[pod-hardening] Pod Security restricted, non-root, read-only, limits, probes (removed)',
    );
  });

  it('text, Markdown and JSON carry the same attribution, each control with its why, in OWASP order', () => {
    const text = formatDiff(diff, 'text');
    const markdown = formatDiff(diff, 'markdown');
    const json = JSON.parse(formatDiff(diff, 'json')) as ReturnType<typeof diffJson>;
    expect(json).toEqual(JSON.parse(JSON.stringify(diffJson(diff))));
    const [inText, inMarkdown] = [sections(text, false), sections(markdown, true)];
    for (const control of CONTROLS) {
      expect(text, control.id).toContain(`[${control.id}] ${control.title}`);
      expect(text.replace(/\s+/g, ' ')).toContain(control.why);
      expect(markdown).toContain(`> ${control.why}`);
    }
    for (const category of json.categories)
      for (const group of category.controls) {
        const own = diff.categories.flatMap((c) => c.controls).find((g) => g.control.id === group.id);
        expect(group.changes.length).toBe(own?.changes.length);
        for (const change of own?.changes ?? [])
          for (const field of change.fields) {
            expect(inText.get(group.id), `${group.id} ${field.path}`).toContain(describeField(field));
            expect(inMarkdown.get(group.id), `${group.id} ${field.path}`).toContain(
              inlineCode(describeField(field)),
            );
          }
      }
    const headings = ['A01', 'A02', 'A04', 'A05', 'A09'].map((category) =>
      text.indexOf(`\n${category}:2021 `),
    );
    expect(headings.every((index) => index > 0)).toBe(true);
    expect([...headings].sort((a, b) => a - b)).toEqual(headings);
    expect(text).not.toContain(NOTHING_LEFT);
    for (const fragment of secretFragments(path.renders.flatMap((render) => render.secretValues)))
      expect(`${text}${markdown}`).not.toContain(fragment);
  });

  it('a step that adds only security-headers prints exactly one control section', () => {
    const text = formatDiff(headersOnly, 'text');
    expect(text.match(/^ {2}\[[a-z-]+\] /gm)).toEqual(['  [security-headers] ']);
    expect(text.match(/^A\d\d:2021 /gm)).toEqual(['A05:2021 ']);
    expect(formatDiff(headersOnly, 'markdown').match(/^#### /gm)).toHaveLength(1);
    expect(text).toContain('- spec.template.spec.containers[api].env[SECURITY_HEADERS].value: off');
    expect(headersOnly.total).toBe(1);
  });

  it('another stack name, same controls: what the name changes is listed apart from the controls', () => {
    const text = formatDiff(renamed, 'text');
    expect(renamed.categories).toEqual([]);
    // The CA's name, and a Loki rule file that YAML folds at another column.
    expect(renamed.unattributed.map((change) => `${change.kind} ${change.name}`)).toContain(
      'SelfSignedCert ca-cert',
    );
    expect(text).toContain('Not from a control: the stacks differ in the stack name\n');
    expect(text).toContain('~ subject.commonName: secure-workshop end CA -> secure-workshop elsewhere CA');
  });

  it('keeps Markdown code spans intact around backticks', () => {
    expect(inlineCode('~ spec.routes[0].match: Host(`a`)')).toBe('`` ~ spec.routes[0].match: Host(`a`) ``');
    expect(inlineCode('+ Service api')).toBe('`+ Service api`');
  });
});
