// The tools against a small known program (testdata/), so each inference can be checked exactly.
import * as path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadCatalog } from './catalog';
import { checkStack, formatCheck, type PolicyRunner } from './check';
import { diffStacks, formatDiff, inlineCode } from './diff';
import { drawArchitecture } from './draw';
import type { SynthResult } from './model';
import { renderFiles } from './render';
import { secretFragments } from './secrets';
import { synthesize } from './synth';

const root = path.join(__dirname, 'testdata');
let mini: SynthResult;
let miniAgain: SynthResult;
let full: SynthResult;

// Child processes on a shared 2-core machine: allow more than the default hook timeout.
beforeAll(async () => {
  [mini, miniAgain, full] = await Promise.all([
    synthesize({ stack: 'mini', root }),
    synthesize({ stack: 'mini', root }),
    synthesize({ stack: 'full', root }),
  ]);
}, 300_000);

describe('synthesis', () => {
  it('records every resource with type, parent and the stack config', () => {
    expect(mini.controls).toEqual([]);
    expect(full.controls).toEqual(['authn-jwt', 'tls-in-transit', 'db-tls', 'db-firewall', 'api-gateway']);
    const types = full.resources.map((r) => r.type);
    expect(types).toContain('random:index/randomPassword:RandomPassword');
    expect(types).toContain('kubernetes:helm.sh/v3:Release');
    const api = full.resources.find((r) => r.type === 'kubernetes:apps/v1:Deployment' && r.name === 'api');
    expect(api?.parent).toMatch(/pulumi:pulumi:Stack/);
    expect(api?.provider).toMatch(/providers:kubernetes::k8s/);
  });

  it('applies --controls over the stack file', async () => {
    const adhoc = await synthesize({ stack: 'mini', root, controls: ['db-tls'] });
    expect(adhoc.controls).toEqual(['db-tls']);
    const sts = adhoc.resources.find((r) => r.name === 'postgres' && r.type.endsWith('StatefulSet'));
    expect(JSON.stringify(sts?.inputs)).toContain('ssl=on');
  });
});

describe('synthesis errors', () => {
  it("reports the program's own error in one line", async () => {
    await expect(synthesize({ stack: 'mini', root, controls: ['bogus'] })).rejects.toThrow(
      /^synthesis of stack 'mini' failed: unknown control 'bogus'$/,
    );
  });
});

describe('render', () => {
  it('writes one YAML per object with stable names, Helm releases and resources.json', () => {
    const files = renderFiles(full);
    expect([...files.keys()].sort()).toEqual([
      'cronjob-workshop-full-reconciler.yaml',
      'deployment-workshop-full-api.yaml',
      'deployment-workshop-full-jumpwire.yaml',
      'helmrelease-monitoring-monitoring.yaml',
      'ingressroute-workshop-full-api.yaml',
      'namespace-cluster-workshop-full.yaml',
      'resources.json',
      'secret-workshop-full-db-credentials.yaml',
      'secret-workshop-full-jumpwire-config.yaml',
      'service-workshop-full-api.yaml',
      'service-workshop-full-jumpwire.yaml',
      'service-workshop-full-postgres.yaml',
      'statefulset-workshop-full-postgres.yaml',
    ]);
    const helm = parseYaml(files.get('helmrelease-monitoring-monitoring.yaml') as string) as Record<
      string,
      unknown
    >;
    expect(helm).toMatchObject({
      chart: 'kube-prometheus-stack',
      version: '65.1.0',
      repository: 'https://prometheus-community.github.io/helm-charts',
      values: { grafana: { adminPassword: '[secret]' } },
    });
    const secret = parseYaml(files.get('secret-workshop-full-db-credentials.yaml') as string) as Record<
      string,
      unknown
    >;
    expect(secret.stringData).toEqual({ password: '[secret]' });
    const service = parseYaml(files.get('service-workshop-full-api.yaml') as string) as {
      spec: { ports: Array<{ port: number }> };
    };
    expect(service.spec.ports[0]?.port).toBe(443);
  });

  it('never prints a generated secret, in any file', () => {
    expect(full.secretValues.length).toBeGreaterThanOrEqual(2);
    for (const [file, content] of renderFiles(full)) {
      for (const fragment of secretFragments(full.secretValues))
        expect(content.includes(fragment), `${file} leaks a secret`).toBe(false);
    }
    const list = JSON.parse(renderFiles(full).get('resources.json') as string) as {
      resources: Array<Record<string, unknown>>;
    };
    const password = list.resources.find((r) => r.type === 'random:index/randomPassword:RandomPassword');
    expect(password?.outputs).toMatchObject({ result: '[secret]' });
  });

  it('is deterministic: two runs of a stack render byte-identical files', () => {
    expect(miniAgain.secretValues).not.toEqual(mini.secretValues);
    expect(Object.fromEntries(renderFiles(miniAgain))).toEqual(Object.fromEntries(renderFiles(mini)));
  });
});

describe('diff', () => {
  it('groups changes by OWASP category and control, each headed by its why', async () => {
    const catalog = await loadCatalog(root);
    const diff = diffStacks(mini, full, catalog);
    const text = formatDiff(diff, 'text');
    for (const control of catalog) {
      expect(text).toContain(`[${control.id}] ${control.title}`);
      expect(text.replace(/\s+/g, ' ')).toContain(control.why);
    }
    expect(text.indexOf('A01:2021')).toBeLessThan(text.indexOf('A02:2021'));
    expect(text).toContain('env[PGHOST].value: postgres -> jumpwire');
    expect(text).toContain('+ Deployment jumpwire');
    for (const fragment of secretFragments([...mini.secretValues, ...full.secretValues]))
      expect(text).not.toContain(fragment);
    const markdown = formatDiff(diff, 'markdown');
    expect(markdown).toContain('### A04:2021 Insecure Design');
    expect(markdown).toContain('#### `db-firewall`');
  });

  it('keeps Markdown code spans intact around backticks', () => {
    expect(inlineCode('~ spec.routes[0].match: Host(`a`)')).toBe('`` ~ spec.routes[0].match: Host(`a`) ``');
    expect(inlineCode('+ Service api')).toBe('`+ Service api`');
  });

  it('says so in one line when the stacks are identical', async () => {
    const text = formatDiff(diffStacks(mini, miniAgain, await loadCatalog(root)), 'text');
    expect(text).toBe('No differences between mini [] and mini [].\n');
  });
});

describe('draw', () => {
  it('draws the start shape: plaintext edges, no gateway', () => {
    const { graph, svg, mermaid } = drawArchitecture(mini);
    expect(graph.nodes.map((n) => n.id)).toEqual([
      'workshop-mini/api',
      'workshop-mini/postgres',
      'workshop-mini/reconciler',
    ]);
    expect(graph.nodes.some((n) => n.role === 'gateway' || n.role === 'firewall')).toBe(false);
    expect(graph.edges.map((e) => `${e.from}->${e.to} ${e.protocol} ${e.tls} ${e.auth}`)).toEqual([
      'workshop-mini/api->workshop-mini/postgres PostgreSQL none DB credential',
      'workshop-mini/reconciler->workshop-mini/api HTTP none none',
    ]);
    expect(svg).toContain('HTTP · no TLS · no auth');
    expect(mermaid).toContain(
      'n_workshop_mini_reconciler -.->|"HTTP · no TLS · no auth"| n_workshop_mini_api',
    );
  });

  it('draws the firewall between API and database and the gateway in front of the API', () => {
    const { graph } = drawArchitecture(full);
    const edges = graph.edges.map((e) => `${e.from}->${e.to} ${e.protocol} ${e.tls} ${e.auth}`);
    expect(edges).toEqual([
      'client->workshop-full/traefik HTTPS TLS JWT',
      'workshop-full/api->workshop-full/jumpwire PostgreSQL TLS DB credential',
      'workshop-full/jumpwire->workshop-full/postgres PostgreSQL none none',
      'workshop-full/reconciler->workshop-full/api HTTPS TLS JWT',
      'workshop-full/traefik->workshop-full/api HTTPS TLS JWT',
    ]);
  });

  it('is deterministic', () => {
    expect(drawArchitecture(miniAgain).svg).toBe(drawArchitecture(mini).svg);
  });
});

describe('check (with a stand-in runner)', () => {
  it('names object, policy, category, control and remediation; only mandatory violations fail', async () => {
    const api = full.resources.find((r) => r.name === 'api' && r.type.endsWith('Deployment'));
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
          message: `AUTH_MODE is none, password ${full.secretValues[0]}`,
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
    const report = await checkStack(full, runner);
    expect(seen).toBe(full.resources.length);
    expect(report.mandatory).toBe(1);
    const text = formatCheck(report);
    expect(text).toContain('FAIL A01 api-auth-enabled: Deployment workshop-full/api');
    expect(text).toContain('fixed by control: authn-jwt');
    expect(text).toContain('AUTH_MODE is none, password [secret]');
    expect(text).toContain('remediation: Turn on authn-jwt.');
    expect(text).toContain('WARN A02 backups: the stack');
    const clean = await checkStack(full, async () => []);
    expect(clean.mandatory).toBe(0);
    expect(formatCheck(clean)).toBe('Stack full: no policy violations.\n');
  });
});
