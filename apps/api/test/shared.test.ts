// The pieces the three apps share: the settings reader and the CLI line (exit codes, redaction).
import { afterEach, describe, expect, it } from 'vitest';
import { Redactor, runCli } from '../src/shared/cli.js';
import { ConfigError, Settings } from '../src/shared/settings.js';

describe('Settings', () => {
  it('collects every problem, one line each naming the variable, and throws them together', () => {
    const settings = new Settings(
      { PORT: '70000', COUNT: '1.5', MODE: 'loud', BLANK: '  ', NAME: ' x ' },
      (path) => {
        throw Object.assign(new Error(`no ${path}`), { code: 'ENOENT' });
      },
    );
    expect(settings.port('PORT', 3000)).toBe(3000);
    expect(settings.integer('COUNT', 7, [1, 10])).toBe(7);
    expect(settings.oneOf('MODE', ['on', 'off'] as const, 'on')).toBe('on');
    expect(settings.required('BLANK', 'something to do')).toBeUndefined();
    expect(settings.text('NAME')).toBe('x');
    expect(settings.file('KEY_FILE', '/nope', 'key file')).toBeUndefined();
    expect(() => settings.done({})).toThrow(ConfigError);
    expect(settings.problems).toEqual([
      'PORT=70000 is not a port number (0-65535)',
      'COUNT=1.5 is not a whole number from 1 to 10',
      'MODE=loud is not one of on, off',
      'BLANK is required (something to do)',
      'KEY_FILE: cannot read key file /nope (ENOENT)',
    ]);
  });

  it('returns the value when there is no problem', () => {
    const settings = new Settings({ COUNT: '3' });
    expect(settings.done({ count: settings.integer('COUNT', 1, [1, 5]) })).toEqual({ count: 3 });
  });
});

describe('Redactor', () => {
  it('hides every spelling of a secret in a JSON line, but not values too short to matter', () => {
    const redactor = new Redactor();
    redactor.add('s3cr"et\\x');
    redactor.add('abc');
    redactor.add(undefined);
    const line = JSON.stringify({ error: 'login s3cr"et\\x failed for abc' });
    expect(redactor.redact(line)).toBe('{"error":"login [redacted] failed for abc"}');
  });
});

describe('runCli', () => {
  const lines: { out: string[]; err: string[] } = { out: [], err: [] };
  const run = (main: Parameters<typeof runCli>[1]) =>
    runCli('job', main, {
      context: () => ({ runId: 'r1' }),
      stdout: (line) => lines.out.push(line),
      stderr: (line) => lines.err.push(line),
    });
  afterEach(() => {
    lines.out.length = 0;
    lines.err.length = 0;
    process.exitCode = 0;
  });

  it('prints the result on stdout and exits 0, or 1 when the result is not ok', async () => {
    await run(async () => ({ ok: true, rows: 3 }));
    expect(lines.out).toEqual(['{"command":"job","runId":"r1","ok":true,"rows":3}\n']);
    expect(process.exitCode).toBe(0);
    await run(async () => ({ ok: false, stale: true }));
    expect(process.exitCode).toBe(1);
    expect(lines.err).toEqual([]);
  });

  it('prints a failure on stderr: exit 2 with every problem for bad settings, 1 otherwise, secrets redacted', async () => {
    await run(async () => {
      throw new ConfigError(['A=1 is wrong', 'B is required (x)']);
    });
    expect(process.exitCode).toBe(2);
    expect(JSON.parse(lines.err[0] ?? '')).toEqual({
      command: 'job',
      runId: 'r1',
      ok: false,
      kind: 'config',
      error: 'invalid configuration: A=1 is wrong; B is required (x)',
      problems: ['A=1 is wrong', 'B is required (x)'],
    });
    await run(async (redactor) => {
      redactor.add('hunter2-hunter2');
      throw Object.assign(new Error('refused password hunter2-hunter2'), { kind: 'auth' });
    });
    expect(process.exitCode).toBe(1);
    expect(JSON.parse(lines.err[1] ?? '')).toMatchObject({
      kind: 'auth',
      error: 'refused password [redacted]',
    });
    await run(async () => {
      throw new TypeError('x is undefined');
    });
    expect(JSON.parse(lines.err[2] ?? '')).toMatchObject({
      kind: 'internal',
      error: 'unexpected error: x is undefined',
    });
    expect(lines.out).toEqual([]);
  });
});
