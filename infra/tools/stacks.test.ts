// The tools over the real program (infra/index.ts) and both stack files: each stack synthesized once.
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { type CatalogControl, loadCatalog } from './catalog';
import { checkStack, formatCheck, loadPolicyRunner } from './check';
import { diffStacks, formatDiff } from './diff';
import { drawArchitecture } from './draw';
import type { ArchGraph } from './graph';
import type { SynthResult } from './model';
import { renderFiles } from './render';
import { secretFragments } from './secrets';
import { synthesize, TOOLS_ROOT } from './synth';

let start: SynthResult;
let endAgain: SynthResult;
let end: SynthResult;
let catalog: CatalogControl[];

// Child processes on a shared 2-core machine: allow more than the default hook timeout.
beforeAll(async () => {
  [start, end, endAgain, catalog] = await Promise.all([
    synthesize({ stack: 'start' }),
    synthesize({ stack: 'end' }),
    synthesize({ stack: 'end' }),
    loadCatalog(),
  ]);
}, 300_000);

type Manifest = { kind: string; metadata: { name: string }; spec: Record<string, unknown> };

function rendered(result: SynthResult): Map<string, Manifest> {
  const objects = new Map<string, Manifest>();
  for (const [file, text] of renderFiles(result))
    if (file.endsWith('.yaml')) objects.set(file, parseYaml(text) as Manifest);
  return objects;
}

function env(manifest: Manifest | undefined, container: string): Record<string, unknown> {
  const spec = (
    manifest?.spec.template as {
      spec: {
        containers: Array<{
          name: string;
          env?: Array<{ name: string; value?: string; valueFrom?: unknown }>;
        }>;
      };
    }
  ).spec;
  const entries = spec.containers.find((c) => c.name === container)?.env ?? [];
  return Object.fromEntries(entries.map((entry) => [entry.name, entry.value ?? entry.valueFrom]));
}

describe('render', () => {
  it('start: the workshop shape, plain HTTP and PostgreSQL, no auth', () => {
    const objects = rendered(start);
    for (const file of [
      'namespace-cluster-workshop-start.yaml',
      'deployment-workshop-start-api.yaml',
      'service-workshop-start-api.yaml',
      'statefulset-workshop-start-postgres.yaml',
      'cronjob-workshop-start-reconciler.yaml',
      'job-workshop-start-migrate.yaml',
    ]) {
      expect(objects.has(file), file).toBe(true);
    }
    const api = env(objects.get('deployment-workshop-start-api.yaml'), 'api');
    expect(api).toMatchObject({ AUTH_MODE: 'none', PGHOST: 'postgres', PGPASSWORD: '[secret]' });
    const service = objects.get('service-workshop-start-api.yaml')?.spec as {
      ports: Array<{ port: number }>;
    };
    expect(service.ports.map((p) => p.port)).toContain(80);
    expect([...objects.keys()].some((file) => file.startsWith('networkpolicy-'))).toBe(false);
  });

  it('end: TLS, JWT, firewall, NetworkPolicies, generated secrets never printed', () => {
    const objects = rendered(end);
    const kinds = new Set([...objects.values()].map((o) => o.kind));
    for (const kind of [
      'Certificate',
      'ClusterIssuer',
      'NetworkPolicy',
      'Secret',
      'HelmRelease',
      'StatefulSet',
      'CronJob',
    ]) {
      expect(kinds.has(kind), kind).toBe(true);
    }
    expect(objects.has('deployment-workshop-end-jumpwire.yaml')).toBe(true);
    const api = env(objects.get('deployment-workshop-end-api.yaml'), 'api');
    expect(api).toMatchObject({ AUTH_MODE: 'jwt', PGHOST: 'jumpwire', PGSSLMODE: 'verify-full' });
    expect(api.TLS_CERT_DIR).toEqual(expect.any(String));
    const helm = [...objects.values()].find((o) => o.kind === 'HelmRelease') as unknown as Record<
      string,
      unknown
    >;
    expect(helm).toMatchObject({
      chart: expect.any(String),
      repository: expect.stringMatching(/^https:/),
      version: expect.any(String),
    });
    expect(end.secretValues.length).toBeGreaterThan(5);
    for (const [file, text] of renderFiles(end)) {
      for (const fragment of secretFragments(end.secretValues))
        expect(text.includes(fragment), `${file} leaks a secret`).toBe(false);
    }
  });

  it('is deterministic apart from generated secrets', () => {
    expect(endAgain.secretValues).not.toEqual(end.secretValues);
    expect(Object.fromEntries(renderFiles(endAgain))).toEqual(Object.fromEntries(renderFiles(end)));
  });
});

describe('diff', () => {
  it('start -> end: every control of the catalog has its group and its why', () => {
    const text = formatDiff(diffStacks(start, end, catalog), 'text');
    for (const control of catalog) {
      expect(text, control.id).toContain(`[${control.id}] ${control.title}`);
      expect(text.replace(/\s+/g, ' ')).toContain(control.why);
    }
    for (const category of ['A01', 'A02', 'A04', 'A05', 'A09']) expect(text).toContain(`${category}:2021`);
    // Every change has a reason: an annotation, or the controls of its consumers or siblings.
    expect(text).not.toContain('Not attributed to a control');
    for (const fragment of secretFragments([...start.secretValues, ...end.secretValues]))
      expect(text).not.toContain(fragment);
  });

  it('identical stacks: an empty diff', () => {
    const text = formatDiff(diffStacks(end, endAgain, catalog), 'markdown');
    expect(text).toMatch(/^No differences between end \[authn-jwt,.*encrypted-backups\] and end \[.*\]\.\n$/);
  });
});

describe('check', () => {
  it('end passes every mandatory policy', async () => {
    const report = await checkStack(end, await loadPolicyRunner());
    expect(formatCheck(report)).toBe('Stack end: no policy violations.\n');
    expect(report.mandatory).toBe(0);
  });

  it('start fails mandatory policies in A01, A02, A04, A05 and A09, each naming its control', async () => {
    const report = await checkStack(start, await loadPolicyRunner());
    expect(report.mandatory).toBeGreaterThan(0);
    const categories = new Set(report.violations.map((v) => v.owaspCategory));
    for (const category of ['A01', 'A02', 'A04', 'A05', 'A09'])
      expect(categories.has(category), category).toBe(true);
    const known = new Set(catalog.map((control) => control.id));
    for (const violation of report.violations)
      expect(known.has(violation.control), violation.control).toBe(true);
    expect(formatCheck(report)).toContain('FAIL A01 ');
  });
});

function dataEdges(graph: ArchGraph): string[] {
  return graph.edges
    .filter((e) => !e.metrics)
    .map((e) => `${e.from.split('/').pop()}->${e.to.split('/').pop()}`);
}

describe('draw', () => {
  it('start: plaintext edges, no gateway, no firewall', () => {
    const { graph } = drawArchitecture(start);
    expect(graph.nodes.some((n) => n.role === 'gateway' || n.role === 'firewall')).toBe(false);
    expect(dataEdges(graph)).toEqual(
      expect.arrayContaining(['api->postgres', 'reconciler->api', 'migrate->postgres']),
    );
    for (const edge of graph.edges) expect(edge.tls, `${edge.from}->${edge.to}`).toBe('none');
    expect(graph.edges.find((e) => e.to.endsWith('/api'))?.auth).toBe('none');
  });

  it('end: TLS on every data edge, JWT to the API, the firewall between API and database', () => {
    const { graph } = drawArchitecture(end);
    const edges = dataEdges(graph);
    expect(edges).toEqual(expect.arrayContaining(['api->jumpwire', 'jumpwire->postgres', 'reconciler->api']));
    expect(edges).not.toContain('api->postgres');
    for (const edge of graph.edges.filter((e) => !e.metrics))
      expect(edge.tls, `${edge.from}->${edge.to}`).not.toBe('none');
    for (const edge of graph.edges.filter((e) => e.to.endsWith('/api') && !e.metrics))
      expect(edge.auth).toBe('JWT');
    expect(graph.edges.find((e) => e.from.endsWith('/reconciler'))?.tls).toBe('mTLS');
    expect(graph.nodes.find((n) => n.role === 'gateway')?.id).toBe('workshop-end/traefik');
    expect(edges).toEqual(expect.arrayContaining(['client->traefik', 'traefik->api']));
    expect(edges.filter((e) => e.startsWith('client->'))).toEqual(['client->traefik']);
  });

  it.each(['start', 'end'])(
    'docs/architecture-%s.svg and .mmd are up to date (npm run draw -- <stack> --out docs/...)',
    (stack) => {
      const { svg, mermaid } = drawArchitecture(stack === 'start' ? start : end);
      const docs = path.join(TOOLS_ROOT, 'docs');
      expect(readFileSync(path.join(docs, `architecture-${stack}.svg`), 'utf8')).toBe(svg);
      expect(readFileSync(path.join(docs, `architecture-${stack}.mmd`), 'utf8')).toBe(mermaid);
    },
  );
});
