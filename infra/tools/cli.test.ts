import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseArgs } from './cli';
import { TOOLS_ROOT } from './synth';

function cli(
  args: string[],
  env: Record<string, string> = {},
): { status: number | null; stdout: string; stderr: string } {
  const run = spawnSync(process.execPath, ['--import', 'tsx', path.join(__dirname, 'cli.ts'), ...args], {
    cwd: TOOLS_ROOT,
    encoding: 'utf8',
    env: { ...process.env, ...env },
  });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

describe('bad input: one readable line on stderr and exit 2', () => {
  const cases: Array<[string, string[], RegExp, Record<string, string>?]> = [
    [
      'unknown stack',
      ['render', 'nosuch'],
      /^error: unknown stack 'nosuch': no Pulumi\.nosuch\.yaml .*\(stacks: .*end.*start/,
    ],
    [
      'unknown control',
      ['check', 'start', '--controls', 'authn-jwt,telepathy'],
      /^error: unknown control 'telepathy' \(valid: authn-jwt, /,
    ],
    [
      'missing requirement',
      ['draw', 'start', '--controls', 'authz-scopes'],
      /^error: missing control requirements: 'authz-scopes' requires 'authn-jwt'/,
    ],
    [
      'missing stack file',
      ['check', 'start'],
      /^error: unknown stack 'start': no Pulumi\.start\.yaml in \//,
      { SECURE_WORKSHOP_ROOT: mkdtempSync(path.join(tmpdir(), 'empty-')) },
    ],
    [
      'bad flag',
      ['render', 'start', '--colour'],
      /^error: unknown flag --colour \(flags: --out, --controls, --stack-name, --state, --secrets\)/,
    ],
    [
      'secrets revealed without --out',
      ['render', 'end', '--secrets', 'reveal'],
      /^error: --secrets reveal needs --out <dir>$/,
    ],
    ['bad secrets mode', ['render', 'end', '--secrets', 'show'], /^error: --secrets must be mask or reveal/],
    ['bad stack name', ['render', 'start', '--stack-name', 'a/b'], /^error: invalid stack name 'a\/b'$/],
    [
      'state file that is not one',
      ['render', 'start', '--state', 'package.json'],
      /^error: package.json is not a state file of these tools \(version 1\)$/,
    ],
    ['flag without value', ['render', 'start', '--out'], /^error: --out needs a value/],
    [
      'bad format',
      ['diff', 'start', 'end', '--format', 'html'],
      /^error: --format must be text or markdown, not 'html'/,
    ],
    ['wrong argument count', ['diff', 'start'], /^error: diff takes <from> <to>, got 1 argument/],
    ['unknown command', ['deploy', 'start'], /^error: unknown command 'deploy'/],
    [
      'draw to a non-SVG file',
      ['draw', 'start', '--out', 'x.png', '--controls', 'none'],
      /^error: --out must name an \.svg file/,
    ],
  ];
  it.each(cases)('%s', (_name, args, message, env) => {
    const run = cli(args, env);
    expect(run.status).toBe(2);
    expect(run.stdout).toBe('');
    const lines = run.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(message);
  });
});

describe('help', () => {
  it('prints the commands and exits 0', () => {
    const run = cli(['help']);
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/render <stack>.*\n.*diff <from> <to>/s);
  });
});

describe('parseArgs', () => {
  it('takes --flag value, --flag=value and booleans', () => {
    const parsed = parseArgs(
      ['start', '--out=dir', '--controls', 'a,b', '--check'],
      ['out', 'controls'],
      ['check'],
    );
    expect(parsed.args).toEqual(['start']);
    expect(Object.fromEntries(parsed.flags)).toEqual({ out: 'dir', controls: 'a,b', check: 'true' });
  });
});
