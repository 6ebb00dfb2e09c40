// The site's pure parts, without a browser or a synthesis: the guide reader, the overview's control
// sets, the pictures as inlined, escaping and page weights.
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONTROL_IDS, GUIDE_ORDER, resolveControls } from '@secure-workshop/contracts';
import { REPO_ROOT } from '../../infra/testing/stack-config';
import { pageWeights } from './build';
import { guideSections } from './guide';
import { contrastRatio, escapeHtml, inlineMarkdown, inlineSvg } from './html';
import { guidePrefixes, overviewSets, stateKey } from './model';

describe('guideSections', () => {
  const guide = [
    '# Title',
    '## How a step works',
    '```sh',
    'not an experiment',
    '```',
    '## Step 0: the starting point',
    'Look around:',
    '',
    '```sh',
    'curl -i localhost:3000/users   # 200',
    '```',
    '',
    'What you should see: every record,',
    'with its hash.',
    '## Step 2 (A02): `tls-in-transit`',
    '- `mtls-internal` (service identity): the API demands',
    '  a client certificate.',
    '',
    '  ```sh',
    '  curl --cacert ca.crt https://api',
    '    # TLS alert',
    '  ```',
    '## Reference',
    '```sh',
    'npm run render',
    '```',
  ].join('\n');

  it('reads each step heading with its blocks, their intros and expected outcome; nothing else', () => {
    const sections = guideSections(guide);
    expect([...sections.keys()]).toEqual([0, 2]);
    expect(sections.get(0)).toEqual({
      step: 0,
      heading: 'Step 0: the starting point',
      experiments: [
        {
          intro: 'Look around:',
          language: 'sh',
          code: 'curl -i localhost:3000/users   # 200',
          outcome: 'What you should see: every record, with its hash.',
        },
      ],
    });
    expect(sections.get(2)?.experiments).toEqual([
      {
        intro: '`mtls-internal` (service identity): the API demands a client certificate.',
        language: 'sh',
        code: 'curl --cacert ca.crt https://api\n  # TLS alert',
      },
    ]);
  });

  it('finds a section with commands for every step in docs/guide.md', () => {
    const sections = guideSections(readFileSync(path.join(REPO_ROOT, 'docs', 'guide.md'), 'utf8'));
    for (let step = 0; step <= 6; step += 1)
      expect(sections.get(step)?.experiments.length, `step ${step}`).toBeGreaterThan(0);
  });
});

describe('the overview control sets', () => {
  it('are the guide stops, start plus one and end minus one: each valid and each once', () => {
    const sets = overviewSets();
    const keys = sets.map(stateKey);
    expect(new Set(keys).size).toBe(keys.length);
    for (const set of sets) expect(() => resolveControls(set)).not.toThrow();
    for (const prefix of guidePrefixes()) expect(keys).toContain(stateKey(prefix));
    expect(keys).toContain('observability');
    expect(keys).toContain(stateKey(CONTROL_IDS.filter((id) => id !== 'pod-hardening')));
    expect(keys).not.toContain('authz-scopes');
    expect(sets.length).toBe(29);
  });

  it('spell a set one way, in the guide order', () => {
    expect(stateKey(['db-tls', 'authn-jwt'])).toBe('authn-jwt,db-tls');
    expect(stateKey([])).toBe('');
    expect(guidePrefixes().at(-1)).toEqual(GUIDE_ORDER);
  });
});

describe('pictures inlined in a page', () => {
  const svg = readFileSync(path.join(REPO_ROOT, 'docs', 'architecture-end.svg'), 'utf8');
  const inlined = inlineSvg(svg, 'p6-after', 'Architecture of the end stack');

  it('get ids of their own, a title, and keep every reference to their markers', () => {
    const ids = [...inlined.matchAll(/id="([^"]+)"/g)].map((match) => match[1] as string);
    expect(ids.length).toBeGreaterThan(1);
    for (const id of ids) expect(id.startsWith('p6-after-')).toBe(true);
    for (const [, ref] of inlined.matchAll(/url\(#([^)]+)\)/g)) expect(ids).toContain(ref);
    expect(inlined).toMatch(
      /^<svg [^>]*role="img" aria-labelledby="p6-after-title"[^>]*><title id="p6-after-title">/,
    );
  });

  it('draw every text at 4.5:1 or more against white and against the lightest panel behind it', () => {
    const fills = [...inlined.matchAll(/<text [^>]*?fill="(#[0-9a-f]{6})"/gi)].map(
      (match) => match[1] as string,
    );
    expect(fills.length).toBeGreaterThan(5);
    for (const fill of new Set(fills)) {
      expect(contrastRatio(fill, '#ffffff'), fill).toBeGreaterThanOrEqual(4.5);
      expect(contrastRatio(fill, '#f6f8fa'), fill).toBeGreaterThanOrEqual(4.5);
    }
    expect(contrastRatio('#000000', '#ffffff')).toBeCloseTo(21);
  });
});

describe('text and weights', () => {
  it('escapes HTML and renders the guide inline Markdown it uses', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
    expect(inlineMarkdown('Run `a <b>` **now**, see _this_ and [the README](../README.md).')).toBe(
      'Run <code>a &lt;b&gt;</code> <strong>now</strong>, see <em>this</em> and the README.',
    );
  });

  it('weighs a page with the stylesheet and scripts it links', () => {
    const files = new Map([
      ['a.html', '<link rel="stylesheet" href="site.css"><script src="overview.js"></script>'],
      ['site.css', 'x'.repeat(100)],
      ['overview.js', 'y'.repeat(10)],
    ]);
    const html = Buffer.byteLength(files.get('a.html') as string);
    expect(pageWeights(files)).toEqual(new Map([['a.html', html + 110]]));
  });
});
