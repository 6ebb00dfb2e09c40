// The offline gate CI used to grep out of the tools' output: the commands as CI runs them, judged by
// exit code and the lines they print.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONTROL_IDS } from '@secure-workshop/contracts';
import { type CliRun, runCli } from './run-cli';

const work = mkdtempSync(path.join(tmpdir(), 'gate-'));
const staleSvg = path.join(work, 'never-drawn.svg');
let checkEnd: CliRun;
let checkStart: CliRun;
let drawFresh: CliRun;
let drawStale: CliRun;
let diffMarkdown: CliRun;

// Five commands, seven syntheses, on a shared 2-core machine.
beforeAll(async () => {
  [checkEnd, checkStart, drawFresh, drawStale, diffMarkdown] = await Promise.all([
    runCli(['check', 'end']),
    runCli(['check', 'start']),
    runCli(['draw', 'start', '--out', 'docs/architecture-start.svg', '--check']),
    runCli(['draw', 'start', '--out', staleSvg, '--check']),
    runCli(['diff', 'start', 'end', '--format', 'markdown']),
  ]);
}, 300_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('check', () => {
  it('end: exit 0, no violation', () => {
    expect(checkEnd).toMatchObject({ status: 0, stdout: 'Stack end: no policy violations.\n', stderr: '' });
  });

  it('start: exit 1, mandatory violations in A01, A02, A04, A05 and A09, each fixed by a catalog control', () => {
    expect(checkStart.status).toBe(1);
    const lines = checkStart.stdout.trimEnd().split('\n');
    for (const category of ['A01', 'A02', 'A04', 'A05', 'A09'])
      expect(
        lines.some((line) => line.startsWith(`FAIL ${category} `)),
        category,
      ).toBe(true);
    const fixes = lines.flatMap((line) => /^ {5}fixed by control: (\S+)$/.exec(line)?.[1] ?? []);
    expect(fixes.length).toBe(lines.filter((line) => /^(FAIL|WARN) /.test(line)).length);
    for (const control of fixes) expect(CONTROL_IDS as readonly string[]).toContain(control);
    const summary = /^Stack start: \d+ mandatory and \d+ advisory violations? in (A\d\d(?:, A\d\d)*)\.$/.exec(
      lines.at(-1) ?? '',
    );
    expect(summary?.[1]?.split(', ')).toEqual(expect.arrayContaining(['A01', 'A02', 'A04', 'A05', 'A09']));
  });
});

describe('draw --check', () => {
  it('exit 0 when the files are what draw makes now (docs/architecture-start.*)', () => {
    expect(drawFresh).toMatchObject({ status: 0, stdout: '', stderr: '' });
  });

  it('exit 1 with one line per stale file and the command that refreshes it', () => {
    expect(drawStale.status).toBe(1);
    const command = `(run: npm run draw -- start --out ${staleSvg})`;
    expect(drawStale.stderr.trimEnd().split('\n')).toEqual([
      `stale: ${staleSvg} ${command}`,
      `stale: ${staleSvg.replace(/\.svg$/, '.mmd')} ${command}`,
    ]);
  });
});

describe('diff start end --format markdown', () => {
  it('exit 0, a section for every control of the catalog', () => {
    expect(diffMarkdown.status).toBe(0);
    for (const id of CONTROL_IDS) expect(diffMarkdown.stdout).toContain(`#### \`${id}\`: `);
  });
});
