// The ordered steps of the check, from the stack files: add-ons, start, step1..stepN, end.
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from './controlplane';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { KubeObject } from './kube';
import {
  type StackConfig,
  checkSteps,
  readRendered,
  renderError,
  selectSteps,
  stackFiles,
  withoutPatchedFields,
} from './steps';

const PATH = ['start', 'step2', 'step10', 'end'];
const stacks = new Map<string, StackConfig>([
  ['end', { 'secure-workshop:controls': ['a', 'b', 'c'] }],
  ['step10', { 'secure-workshop:controls': ['a', 'b'] }],
  ['start', { 'secure-workshop:controls': [] }],
  ['step2', { 'secure-workshop:controls': ['a'] }],
  ['addons', { 'secure-workshop:clusterAddons': 'own' }],
  ['mine', undefined],
]);

describe('checkSteps', () => {
  it("puts the add-ons first, then the guide's path as its dev stack", () => {
    const as = ['--stack-name', 'dev'];
    expect(checkSteps(stacks, PATH)).toEqual([
      { name: 'addons', stack: 'addons', renderArgs: ['addons'] },
      { name: 'start', stack: 'dev', renderArgs: ['start', ...as] },
      { name: 'step2', stack: 'dev', renderArgs: ['step2', ...as] },
      { name: 'step10', stack: 'dev', renderArgs: ['step10', ...as] },
      { name: 'end', stack: 'dev', renderArgs: ['end', ...as] },
    ]);
  });

  it('needs a stack file for every stack of the path', () => {
    expect(() => checkSteps(stacks, ['start', 'step3'])).toThrow(/no stack file for Pulumi.step3.yaml/);
  });

  it("finds the repository's own stacks, start first and end last", () => {
    const names = checkSteps(stackFiles(REPO_ROOT))
      .filter((step) => step.stack === 'dev')
      .map((step) => step.name);
    expect(names[0]).toBe('start');
    expect(names.at(-1)).toBe('end');
  });
});

describe('selectSteps', () => {
  const steps = checkSteps(stacks, PATH);
  it('keeps the named steps in path order and refuses unknown names', () => {
    expect(selectSteps(steps, 'end,start').map((s) => s.name)).toEqual(['start', 'end']);
    expect(() => selectSteps(steps, 'start,nope')).toThrow(
      /unknown step nope \(steps: addons, start, step2, step10, end\)/,
    );
  });
});

describe('renderError', () => {
  it("quotes render's own error line, or the Error a crash threw, not Node's version banner", () => {
    expect(renderError('error: unknown control x\n')).toBe('error: unknown control x');
    const crash =
      "node:internal/modules/cjs/loader:1564\n  throw err;\n\nError: Cannot find module 'x'\n    at f\n\nNode.js v24.21.0\n";
    expect(renderError(crash)).toBe("Error: Cannot find module 'x'");
  });
});

describe('patches in a render', () => {
  const namespace: KubeObject = {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: 'ns', labels: { app: 'a', 'pod-security.kubernetes.io/enforce': 'restricted' } },
  };
  const patch = {
    name: 'namespace-pod-security',
    object: {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'ns', labels: { 'pod-security.kubernetes.io/enforce': 'restricted' } },
    },
  };

  it('come out of the object render merged them into, and leave other objects alone', () => {
    expect(withoutPatchedFields(namespace, [patch])).toEqual({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'ns', labels: { app: 'a' } },
    });
    const other = { ...namespace, metadata: { ...namespace.metadata, name: 'other' } };
    expect(withoutPatchedFields(other, [patch])).toEqual(other);
  });

  it("are read from resources.json by their type, the object's file losing their fields", () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'steps-test-'));
    try {
      writeFileSync(path.join(dir, 'namespace-ns.yaml'), JSON.stringify(namespace));
      const resources = [
        { type: 'kubernetes:core/v1:Namespace', name: 'namespace', inputs: namespace },
        { type: 'kubernetes:core/v1:NamespacePatch', name: patch.name, inputs: patch.object },
      ];
      writeFileSync(path.join(dir, 'resources.json'), JSON.stringify({ resources }));
      const rendered = readRendered(dir);
      expect(rendered.patches).toEqual([patch]);
      expect(rendered.objects[0]?.metadata.labels).toEqual({ app: 'a' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
