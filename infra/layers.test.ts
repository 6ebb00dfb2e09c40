// The map of the code (README, "Architecture"), enforced: which folder may import which. Imports go
// downwards only; a test here fails when one crosses a layer the wrong way.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(__dirname, '..');

/** The workspaces by package name, so `@secure-workshop/x` imports resolve to their folders. */
const PACKAGES: Record<string, string> = {
  '@secure-workshop/contracts': 'packages/contracts',
  '@secure-workshop/api': 'apps/api',
  '@secure-workshop/reconciler': 'apps/reconciler',
  '@secure-workshop/backup': 'apps/backup',
  '@secure-workshop/policy': 'policy',
};

interface Layer {
  name: string;
  /** Files of the layer (repository-relative paths). */
  owns: (file: string) => boolean;
  /** Repository folders it must not import from. */
  forbidden: string[];
}

const isTest = (file: string) => /\.test\.ts$/.test(file);
const under = (file: string, ...folders: string[]) => folders.some((folder) => file.startsWith(`${folder}/`));

const LAYERS: Layer[] = [
  {
    name: 'contracts (what the deployables agree on)',
    owns: (file) => under(file, 'packages/contracts'),
    forbidden: ['apps', 'infra', 'policy', 'tools', 'test-support', 'bench'],
  },
  {
    name: 'apps (the services; api/src/shared is theirs to share)',
    owns: (file) => under(file, 'apps') && !/^apps\/[^/]+\/(test|bench)\//.test(file),
    forbidden: ['infra', 'policy', 'tools', 'test-support', 'bench'],
  },
  {
    name: 'policy pack (runs inside pulumi preview: imports no infra)',
    owns: (file) => under(file, 'policy') && !under(file, 'policy/test'),
    forbidden: ['infra', 'apps', 'tools', 'test-support', 'bench'],
  },
  {
    name: 'infra program (settings, stacks, components, lib)',
    owns: (file) => under(file, 'infra') && !under(file, 'infra/tools', 'infra/testing') && !isTest(file),
    forbidden: ['infra/tools', 'infra/testing', 'policy', 'apps', 'tools', 'test-support', 'bench'],
  },
  {
    name: 'infra/testing (the one offline runtime)',
    owns: (file) => under(file, 'infra/testing') && !isTest(file),
    forbidden: ['infra/tools', 'policy', 'apps', 'tools', 'bench'],
  },
  {
    name: 'infra/tools (render, diff, check, draw: the program and the pack side by side)',
    owns: (file) => under(file, 'infra/tools') && !isTest(file),
    forbidden: ['apps', 'tools', 'bench', 'test-support'],
  },
];

function sourceFiles(dir: string): string[] {
  return readdirSync(path.join(root, dir)).flatMap((entry) => {
    const relative = path.posix.join(dir, entry);
    if (entry === 'node_modules' || entry === 'dist' || entry.startsWith('.')) return [];
    if (statSync(path.join(root, relative)).isDirectory()) return sourceFiles(relative);
    return /\.(ts|mts|cts)$/.test(entry) ? [relative] : [];
  });
}

/** Every module a file imports (static, dynamic, require), as a repository-relative path or package. */
export function importsOf(file: string, text: string): string[] {
  const specifiers = [
    ...text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]/g),
    ...text.matchAll(/(?:^|\n)\s*import\s*['"]([^'"]+)['"]/g),
    ...text.matchAll(/\b(?:import|require)\(\s*['"]([^'"]+)['"]\s*\)/g),
  ].map((match) => match[1] as string);
  return specifiers.map((specifier) => {
    if (specifier.startsWith('.'))
      return path.posix.normalize(path.posix.join(path.posix.dirname(file), specifier));
    const pkg = Object.keys(PACKAGES).find((name) => specifier === name || specifier.startsWith(`${name}/`));
    return pkg ? `${PACKAGES[pkg]}/` : specifier;
  });
}

export function violations(files: Record<string, string>): string[] {
  const found: string[] = [];
  for (const [file, text] of Object.entries(files)) {
    for (const layer of LAYERS.filter((candidate) => candidate.owns(file))) {
      for (const target of importsOf(file, text)) {
        const crossed = layer.forbidden.find(
          (folder) => target === folder || target.startsWith(`${folder}/`),
        );
        if (crossed) found.push(`${file} (${layer.name}) imports ${target}`);
      }
    }
  }
  return found;
}

describe('layers', () => {
  it('no import crosses a layer the wrong way', () => {
    const files = ['packages', 'apps', 'policy', 'infra'].flatMap(sourceFiles);
    expect(files.length).toBeGreaterThan(150);
    const texts = Object.fromEntries(
      files.map((file) => [file, readFileSync(path.join(root, file), 'utf8')]),
    );
    expect(violations(texts)).toEqual([]);
  });

  it('would catch each kind of crossing', () => {
    expect(
      violations({
        'infra/components/x.ts': "import { SCOPES } from '../../apps/api/src/scopes.js';",
        'policy/lib/y.ts': "import { CONTROLS } from '../../infra/stacks/controls';",
        'packages/contracts/src/z.ts': "export { a } from '../../../infra/lib/labels';",
        'apps/api/src/w.ts': "const m = await import('../../../infra/tools/cli');",
        'infra/lib/v.ts': "import { runProgram } from '../testing/mocks';",
        'infra/lib/ok.ts': "import { CONTROLS } from '@secure-workshop/contracts';",
      }),
    ).toEqual([
      'infra/components/x.ts (infra program (settings, stacks, components, lib)) imports apps/api/src/scopes.js',
      'policy/lib/y.ts (policy pack (runs inside pulumi preview: imports no infra)) imports infra/stacks/controls',
      'packages/contracts/src/z.ts (contracts (what the deployables agree on)) imports infra/lib/labels',
      'apps/api/src/w.ts (apps (the services; api/src/shared is theirs to share)) imports infra/tools/cli',
      'infra/lib/v.ts (infra program (settings, stacks, components, lib)) imports infra/testing/mocks',
    ]);
  });
});
