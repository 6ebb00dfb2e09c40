import { describe, expect, it } from 'vitest';
import { CONTROL_IDS } from '@secure-workshop/contracts';
import type { Violation } from '../run';
import { checkRenderedStack, describeViolations } from './rendered';

describe('the rendered start stack', () => {
  let violations: Violation[] = [];

  it('renders and is judged', async () => {
    violations = await checkRenderedStack('start');
    expect(violations.length).toBeGreaterThan(0);
  });

  it('violates at least one policy in each of A01, A02, A04, A05, A09', () => {
    const categories = new Set(violations.map((v) => v.owaspCategory));
    for (const category of ['A01', 'A02', 'A04', 'A05', 'A09'] as const)
      expect(categories).toContain(category);
  });

  it('fails a policy of every control, since it has none of them', () => {
    const failed = new Set(violations.map((v) => v.control));
    expect(CONTROL_IDS.filter((id) => !failed.has(id))).toEqual([]);
  });

  it("catches the workshop's known weaknesses", () => {
    const lines = describeViolations(violations);
    const expected = [
      /A01 api-auth-enabled: Deployment workshop-start\/api .*AUTH_MODE=none/,
      /A02 no-secret-literals: StatefulSet workshop-start\/postgres .*POSTGRES_PASSWORD has a literal value/,
      /A04 api-db-via-firewall: .*PGHOST "postgres.*" is PostgreSQL itself/,
      /A04 postgres-ingress-restricted: StatefulSet workshop-start\/postgres is reachable from every pod/,
      /A02 reconciler-https: .*API_URL is "http:\/\//,
      /A02 postgres-tls-only: .*ssl is not set/,
      /A01 network-default-deny: namespace workshop-start has workloads but no default-deny/,
      /A09 api-metrics-scraped: /,
    ];
    for (const pattern of expected)
      expect(lines).toEqual(expect.arrayContaining([expect.stringMatching(pattern)]));
  });
});
