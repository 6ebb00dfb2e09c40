// `render --secrets reveal --state FILE --stack-name NAME`: what the walk and the control-plane check
// deploy. Real files in a temporary directory, the CLI run as a person runs it.
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GeneratorState } from '../testing/generator-state';
import { type CliRun, runCli } from './run-cli';
import { secretFragments } from './secrets';

const work = mkdtempSync(path.join(tmpdir(), 'render-secrets-'));
const stateFile = path.join(work, 'state.json');
const revealed = path.join(work, 'revealed');
const masked = path.join(work, 'masked');
const again = path.join(work, 'again');
const runs: CliRun[] = [];
let firstState: GeneratorState;

function readState(): GeneratorState {
  return (JSON.parse(readFileSync(stateFile, 'utf8')) as { resources: GeneratorState }).resources;
}

/** The URN of the one kept generator whose URN ends with `::name`. */
function urnOf(state: GeneratorState, name: string): string {
  const urns = Object.keys(state).filter((urn) => urn.endsWith(`::${name}`));
  expect(urns, name).toHaveLength(1);
  return urns[0] as string;
}

function resultOf(state: GeneratorState, name: string): string {
  return state[urnOf(state, name)]?.outputs.result as string;
}

function files(dir: string): Map<string, string> {
  return new Map(readdirSync(dir).map((file) => [file, readFileSync(path.join(dir, file), 'utf8')]));
}

function stringData(dir: string, file: string): Record<string, string> {
  return (parseYaml(readFileSync(path.join(dir, file), 'utf8')) as { stringData: Record<string, string> })
    .stringData;
}

/** Every generated string (an output that is not an input echoed) as it would show in any printed form. */
function generatedFragments(state: GeneratorState): string[] {
  const strings: string[] = [];
  const collect = (value: unknown): void => {
    if (typeof value === 'string' && value.length >= 8) strings.push(value);
    else if (Array.isArray(value)) value.forEach(collect);
    else if (typeof value === 'object' && value !== null) Object.values(value).forEach(collect);
  };
  for (const { inputs, outputs } of Object.values(state))
    for (const [key, value] of Object.entries(outputs)) if (!(key in inputs)) collect(value);
  return secretFragments(strings);
}

beforeAll(async () => {
  const render = async (args: string[]): Promise<void> => {
    const run = await runCli(['render', 'end', '--stack-name', 'walk', '--state', stateFile, ...args]);
    runs.push(run);
    if (run.status !== 0) throw new Error(`render ${args.join(' ')} exited ${run.status}: ${run.stderr}`);
  };
  await render(['--out', revealed, '--secrets', 'reveal']);
  firstState = readState();
  await render(['--out', masked]);
  // The inputs recorded for two generators differ from the program's now, as after an edit: the
  // database app password and the CA key (whose certificate takes the key as an input).
  const edited = structuredClone(readState());
  edited[urnOf(edited, 'postgres-app-password')]!.inputs.length = 12;
  edited[urnOf(edited, 'ca-key')]!.inputs.ecdsaCurve = 'P384';
  writeFileSync(stateFile, JSON.stringify({ version: 1, resources: edited }), { mode: 0o600 });
  await render(['--out', again, '--secrets', 'reveal']);
}, 300_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('render --secrets reveal', () => {
  it('writes the real generated values: passwords, the JumpWire config, keys', () => {
    const credentials = stringData(revealed, 'secret-workshop-walk-postgres-credentials.yaml');
    expect(credentials['app-password']).toBe(resultOf(firstState, 'postgres-app-password'));
    expect(credentials['owner-password']).toBe(resultOf(firstState, 'postgres-owner-password'));
    const jumpwire = stringData(revealed, 'secret-workshop-walk-jumpwire-config.yaml')['jumpwire.yaml'] ?? '';
    const passwords = Object.values(firstState).flatMap(({ type, outputs }) =>
      type.endsWith(':RandomPassword') ? [outputs.result as string] : [],
    );
    expect(passwords.some((password) => jumpwire.includes(password))).toBe(true);
    const caCert = firstState[urnOf(firstState, 'ca-cert')]?.outputs.certPem as string;
    expect(caCert).toMatch(/^-----BEGIN CERTIFICATE-----/);
    expect(readFileSync(path.join(revealed, 'configmap-workshop-walk-workshop-ca.yaml'), 'utf8')).toContain(
      caCert.split('\n')[1],
    );
    for (const [file, text] of files(revealed)) {
      expect(text, file).not.toContain('[secret]');
      expect(text, file).not.toContain('[generated ');
    }
  });

  it('keeps them private: the directory 0700, every file and the state file 0600', () => {
    expect(statSync(revealed).mode & 0o777).toBe(0o700);
    for (const file of readdirSync(revealed))
      expect(statSync(path.join(revealed, file)).mode & 0o777, file).toBe(0o600);
    expect(statSync(stateFile).mode & 0o777).toBe(0o600);
  });

  it('runs the stack under --stack-name: its namespace and URNs', () => {
    const list = JSON.parse(readFileSync(path.join(revealed, 'resources.json'), 'utf8')) as {
      stack: string;
      resources: Array<{ urn: string }>;
    };
    expect(list.stack).toBe('walk');
    for (const { urn } of list.resources) expect(urn).toMatch(/^urn:pulumi:walk::secure-workshop::/);
    expect(readdirSync(revealed)).toContain('namespace-cluster-workshop-walk.yaml');
  });

  it('prints no secret: one line on stdout, one note on stderr', () => {
    const [first] = runs;
    expect(first?.stdout).toMatch(/^walk: wrote \d+ files to .*\(\d+ resources\)\n$/);
    expect(first?.stderr).toBe(`note: the files in ${revealed} hold real secrets; keep them private\n`);
    const fragments = generatedFragments({ ...firstState, ...readState() });
    expect(fragments.length).toBeGreaterThan(20);
    for (const run of runs)
      for (const fragment of fragments) {
        expect(run.stdout.includes(fragment)).toBe(false);
        expect(run.stderr.includes(fragment)).toBe(false);
      }
  });
});

describe('render without --secrets (masked)', () => {
  it('still masks, with the same values kept in the state', () => {
    const credentials = stringData(masked, 'secret-workshop-walk-postgres-credentials.yaml');
    expect(new Set(Object.values(credentials))).toEqual(new Set(['[secret]']));
    const fragments = generatedFragments(firstState);
    for (const [file, text] of files(masked))
      for (const fragment of fragments) expect(text.includes(fragment), `${file} leaks`).toBe(false);
    expect(runs[1]?.stderr).toBe('');
  });
});

describe('render --state', () => {
  it('keeps every generated value of the same URN and inputs across renders', () => {
    const state = readState();
    for (const name of ['postgres-owner-password', 'jumpwire-root-token', 'api-reconciler-client-secret'])
      expect(resultOf(state, name), name).toBe(resultOf(firstState, name));
    const jwtKey = urnOf(state, 'api-jwt-key');
    expect(state[jwtKey]?.outputs.privateKeyPem).toBe(firstState[jwtKey]?.outputs.privateKeyPem);
    const before = files(revealed);
    const after = files(again);
    expect(after.get('middleware-workshop-walk-jwt.yaml')).toBe(
      before.get('middleware-workshop-walk-jwt.yaml'),
    );
    expect(after.get('secret-workshop-walk-reconciler-oauth.yaml')).toBe(
      before.get('secret-workshop-walk-reconciler-oauth.yaml'),
    );
  });

  it('makes a new value when the generator inputs change, and for what takes it as an input', () => {
    const state = readState();
    const password = resultOf(state, 'postgres-app-password');
    expect(password).not.toBe(resultOf(firstState, 'postgres-app-password'));
    expect(stringData(again, 'secret-workshop-walk-postgres-credentials.yaml')['app-password']).toBe(
      password,
    );
    const ca = (name: string, s: GeneratorState) => s[urnOf(s, name)]?.outputs;
    expect(ca('ca-key', state)?.privateKeyPem).not.toBe(ca('ca-key', firstState)?.privateKeyPem);
    expect(ca('ca-cert', state)?.certPem).not.toBe(ca('ca-cert', firstState)?.certPem);
    expect(ca('ca-key', state)?.privateKeyPem).toMatch(/BEGIN EC PRIVATE KEY/);
  });
});
