import { chmodSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseArgs } from './cli';
import { runCli } from './run-cli';

describe('bad input: one readable line on stderr and exit 2', () => {
  const cases: Array<[string, string[], RegExp]> = [
    [
      'unknown stack',
      ['render', 'nosuch'],
      /^error: unknown stack 'nosuch': no Pulumi\.nosuch\.yaml .*\(stacks: .*end.*start/,
    ],
    [
      // The catalog's own validator and wording, as `pulumi up` reports it.
      'unknown control',
      ['check', 'start', '--controls', 'authn-jwt,telepathy'],
      /^error: unknown control "telepathy"; valid controls are: authn-jwt, authz-scopes, /,
    ],
    [
      'missing requirement',
      ['draw', 'start', '--controls', 'authz-scopes'],
      /^error: missing control requirements: "authz-scopes" requires "authn-jwt"; valid controls are: /,
    ],
    [
      // Caught by the program's settings inside the synthesis process, reported in one line.
      'stack name that makes no namespace',
      ['render', 'start', '--stack-name', 'Walk', '--out', 'unused'],
      /^error: synthesis of stack 'start' failed: secure-workshop: namespace "workshop-Walk" is not a valid Kubernetes namespace name$/,
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
      /^error: --format must be text, markdown or json, not 'html'/,
    ],
    ['wrong argument count', ['diff', 'start'], /^error: diff takes <from> <to>, got 1 argument/],
    ['unknown command', ['deploy', 'start'], /^error: unknown command 'deploy'/],
    [
      'draw to a non-SVG file',
      ['draw', 'start', '--out', 'x.png', '--controls', 'none'],
      /^error: --out must name an \.svg file/,
    ],
  ];
  it.each(cases)('%s', async (_name, args, message) => {
    const run = await runCli(args);
    expect(run.status).toBe(2);
    expect(run.stdout).toBe('');
    const lines = run.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(message);
  });
});

describe('render --secrets reveal into a directory others can read', () => {
  it('refuses in one line, exit 2, before writing anything', async () => {
    const open = mkdtempSync(path.join(tmpdir(), 'open-'));
    chmodSync(open, 0o755);
    try {
      const run = await runCli(['render', 'start', '--out', open, '--secrets', 'reveal']);
      expect(run.status).toBe(2);
      expect(run.stderr).toBe(
        `error: --secrets reveal writes into a private directory: ${open} is open to other users (chmod 700 it or name a new one)\n`,
      );
      expect(readdirSync(open)).toEqual([]);
    } finally {
      rmSync(open, { recursive: true, force: true });
    }
  });
});

describe('help', () => {
  it('prints the commands and exits 0', async () => {
    const run = await runCli(['help']);
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
