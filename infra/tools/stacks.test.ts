// The tools over the real program (infra/index.ts) and both stack files: each stack synthesized once.
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Peer } from '../lib/network-policy';
import { architectureFlows } from '../stacks/architecture';
import { CONTROLS, controlSet, resolveControls } from '@secure-workshop/contracts';
import { findObject } from '../testing/objects';
import { REPO_ROOT } from '../testing/stack-config';
import { checkStack, formatCheck, type PolicyRunner } from './check';
import { drawArchitecture } from './draw';
import type { ArchGraph } from './graph';
import type { SynthResult } from './model';
import { renderFiles } from './render';
import { secretFragments } from './secrets';
import { synthesize } from './synth';

let start: SynthResult;
let end: SynthResult;
let endAgain: SynthResult;
let startWithDbTls: SynthResult;
let addons: SynthResult;

// Child processes on a shared 2-core machine: allow more than the default hook timeout.
beforeAll(async () => {
  [start, end, endAgain, startWithDbTls, addons] = await Promise.all([
    synthesize({ stack: 'start' }),
    synthesize({ stack: 'end' }),
    synthesize({ stack: 'end' }),
    synthesize({ stack: 'start', controls: ['db-tls'] }),
    synthesize({ stack: 'addons' }),
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

describe('synthesis', () => {
  it('records every resource with type, parent, provider and the validated controls', () => {
    expect(start.controls).toEqual([]);
    expect(end.controls).toEqual(CONTROLS.map((control) => control.id));
    const api = findObject(end.resources, 'Deployment', 'api');
    expect(api?.urn).toMatch(/^urn:pulumi:end::secure-workshop::.*\$kubernetes:apps\/v1:Deployment::api-/);
    expect(api?.parent).toMatch(/secure-workshop:index:SecureApi::api$/);
    expect(api?.provider).toMatch(/pulumi:providers:kubernetes::kubernetes::/);
    expect(end.resources.map((r) => r.type)).toContain('random:index/randomPassword:RandomPassword');
  });

  it('applies --controls over the stack file', () => {
    expect(startWithDbTls.controls).toEqual(['db-tls']);
    const postgres = findObject(startWithDbTls.resources, 'StatefulSet', 'postgres');
    expect(JSON.stringify(postgres?.inputs)).toContain('ssl=on');
  });
});

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
      'StatefulSet',
      'CronJob',
    ]) {
      expect(kinds.has(kind), kind).toBe(true);
    }
    expect(objects.has('deployment-workshop-end-jumpwire.yaml')).toBe(true);
    const api = env(objects.get('deployment-workshop-end-api.yaml'), 'api');
    expect(api).toMatchObject({ AUTH_MODE: 'jwt', PGHOST: 'jumpwire', PGSSLMODE: 'verify-full' });
    expect(api.TLS_CERT_DIR).toEqual(expect.any(String));
    const credentials = objects.get('secret-workshop-end-postgres-credentials.yaml') as unknown as {
      stringData: Record<string, string>;
    };
    expect(new Set(Object.values(credentials.stringData))).toEqual(new Set(['[secret]']));
    expect(end.secretValues.length).toBeGreaterThan(5);
    for (const [file, text] of renderFiles(end)) {
      for (const fragment of secretFragments(end.secretValues))
        expect(text.includes(fragment), `${file} leaks a secret`).toBe(false);
    }
    const list = JSON.parse(renderFiles(end).get('resources.json') as string) as {
      resources: Array<{ name: string; outputs?: Record<string, unknown> }>;
    };
    const password = list.resources.find((r) => r.name === 'postgres-app-password');
    expect(password?.outputs).toMatchObject({ result: '[secret]', length: 32 });
    const ca = list.resources.find((r) => r.name === 'ca-cert');
    expect(ca?.outputs).toMatchObject({ certPem: '[generated ca-cert.certPem]' });
  });

  it('addons: the Helm releases with chart, repository and version; end only reads them', () => {
    const objects = rendered(addons);
    expect(objects.get('helmrelease-cert-manager-cert-manager.yaml')).toMatchObject({
      kind: 'HelmRelease',
      chart: 'cert-manager',
      repository: expect.stringMatching(/^https:/),
      version: expect.stringMatching(/^v\d/),
    });
    const grafana = objects.get('secret-monitoring-grafana-admin.yaml') as unknown as {
      stringData: Record<string, string>;
    };
    expect(new Set(Object.values(grafana.stringData))).toEqual(new Set(['[secret]']));
    expect(objects.has('helmchartconfig-kube-system-traefik.yaml')).toBe(true);
    const fromEnd = [...rendered(end).keys()];
    expect(
      fromEnd.filter((file) => /^(helmrelease|helmchartconfig|customresourcedefinition)-/.test(file)),
    ).toEqual([]);
  });

  it('is deterministic apart from generated secrets', () => {
    expect(endAgain.secretValues).not.toEqual(end.secretValues);
    expect(Object.fromEntries(renderFiles(endAgain))).toEqual(Object.fromEntries(renderFiles(end)));
  });
});

describe('check', () => {
  // What `check` finds in start and end, and exits with, is judged through the CLI by gate.test.ts.
  it('names object, policy, category, control and remediation, masks secrets; only mandatory fails', async () => {
    const api = findObject(end.resources, 'Deployment', 'api');
    let seen = 0;
    const runner: PolicyRunner = async (resources) => {
      seen = resources.length;
      return [
        {
          policy: 'api-auth-enabled',
          owaspCategory: 'A01',
          control: 'authn-jwt',
          remediation: 'Turn on authn-jwt.',
          enforcementLevel: 'mandatory',
          urn: api?.urn as string,
          message: `AUTH_MODE is none, password ${end.secretValues[0]}`,
        },
        {
          policy: 'backups',
          owaspCategory: 'A02',
          control: 'encrypted-backups',
          remediation: 'Add backups.',
          enforcementLevel: 'advisory',
          message: 'no backup',
        },
      ];
    };
    const report = await checkStack(end, runner);
    expect(seen).toBe(end.resources.length);
    expect(report.mandatory).toBe(1);
    const text = formatCheck(report);
    expect(text).toContain('FAIL A01 api-auth-enabled: Deployment workshop-end/api');
    expect(text).toContain('fixed by control: authn-jwt');
    expect(text).toContain('AUTH_MODE is none, password [secret]');
    expect(text).toContain('remediation: Turn on authn-jwt.');
    expect(text).toContain('WARN A02 backups: the stack');
    expect(text).toContain('Stack end: 1 mandatory and 1 advisory violation in A01, A02.');
  });
});

function dataEdges(graph: ArchGraph): string[] {
  return graph.edges
    .filter((e) => !e.metrics)
    .map((e) => `${e.from.split('/').pop()}->${e.to.split('/').pop()}`);
}

describe('draw', () => {
  it('start: plaintext edges, no gateway, no firewall', () => {
    const { graph, svg } = drawArchitecture(start);
    expect(graph.nodes.some((n) => n.role === 'gateway' || n.role === 'firewall')).toBe(false);
    expect(dataEdges(graph)).toEqual(
      expect.arrayContaining(['api->postgres', 'reconciler->api', 'migrate->postgres']),
    );
    for (const edge of graph.edges) expect(edge.tls, `${edge.from}->${edge.to}`).toBe('none');
    expect(graph.edges.find((e) => e.to.endsWith('/api'))?.auth).toBe('none');
    expect(svg).toContain('HTTP · no TLS · no auth');
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
    expect(graph.edges.find((e) => e.from === 'client')?.auth).toBe('JWT + token endpoint');
    const scraped = graph.edges.filter((e) => e.metrics).map((e) => `${e.from}->${e.to}`);
    expect(scraped).toContain('monitoring/prometheus->workshop-end/api');
  });

  it('is deterministic', () => {
    expect(drawArchitecture(endAgain).svg).toBe(drawArchitecture(end).svg);
  });

  // The picture is inferred from the objects (see graph.ts); the NetworkPolicies from the program's
  // flow list. A connection in one and not the other is a program bug either way.
  it.each(['start', 'end'])('%s: draws exactly the flows the NetworkPolicies are built from', (stack) => {
    const result = stack === 'start' ? start : end;
    const peerName = (peer: Peer): string =>
      'app' in peer ? peer.app : peer.namespace === 'kube-system' ? 'traefik' : 'prometheus';
    const flows = architectureFlows(controlSet(resolveControls(result.controls)))
      .map((flow) => `${peerName(flow.from)}->${peerName(flow.to)}`)
      .sort();
    const drawn = drawArchitecture(result)
      .graph.edges.filter((edge) => edge.from !== 'client')
      .map((edge) => `${edge.from.split('/').pop()}->${edge.to.split('/').pop()}`)
      .sort();
    expect(drawn).toEqual(flows);
  });

  it.each(['start', 'end'])(
    'docs/architecture-%s.svg and .mmd are up to date (npm run draw -- <stack> --out docs/...)',
    (stack) => {
      const { svg, mermaid } = drawArchitecture(stack === 'start' ? start : end);
      const docs = path.join(REPO_ROOT, 'docs');
      expect(readFileSync(path.join(docs, `architecture-${stack}.svg`), 'utf8')).toBe(svg);
      expect(readFileSync(path.join(docs, `architecture-${stack}.mmd`), 'utf8')).toBe(mermaid);
    },
  );
});
