import { parser as logqlParser } from '@grafana/lezer-logql';
import { parser as promqlParser } from '@prometheus-io/lezer-promql';
import { describe, expect, it } from 'vitest';
import { securityDashboard, securityPanels } from './dashboard';
import { lokiRuleGroups, prometheusRuleGroups, recentJobFailures, type RuleScope } from './rules';

type Parser = typeof promqlParser | typeof logqlParser;

/** Positions where the real grammar could not parse the expression (empty = valid). */
function syntaxErrors(parser: Parser, expr: string): number[] {
  const errors: number[] = [];
  parser.parse(expr).iterate({
    enter: (node) => {
      if (node.type.isError) errors.push(node.from);
    },
  });
  return errors;
}

const full: RuleScope = {
  namespace: 'workshop-end',
  gateway: true,
  certificates: true,
  reconciler: true,
  backups: true,
};

describe('PromQL and LogQL are valid', () => {
  it('the parsers do reject a broken expression', () => {
    expect(syntaxErrors(promqlParser, 'sum(rate(x[5m])) >')).not.toEqual([]);
    expect(syntaxErrors(logqlParser, 'sum(count_over_time({a="b"} | json [5m])')).not.toEqual([]);
  });

  it('every Prometheus alert expression parses', () => {
    const rules = prometheusRuleGroups(full).flatMap((group) => group.rules);
    expect(rules.length).toBeGreaterThanOrEqual(11);
    for (const rule of rules)
      expect({ alert: rule.alert, errors: syntaxErrors(promqlParser, rule.expr) }).toEqual({
        alert: rule.alert,
        errors: [],
      });
  });

  it('every Loki alert expression parses', () => {
    const rules = lokiRuleGroups(full).flatMap((group) => group.rules);
    expect(rules.map((rule) => rule.alert)).toEqual([
      'PostgresAuthFailures',
      'ApiAuditDenials',
      'Fail2banBans',
    ]);
    for (const rule of rules)
      expect({ alert: rule.alert, errors: syntaxErrors(logqlParser, rule.expr) }).toEqual({
        alert: rule.alert,
        errors: [],
      });
  });

  it('every dashboard query parses in its own language', () => {
    const queries = securityPanels('workshop-end', true).flatMap((panel) => panel.queries);
    expect(queries.some((q) => q.language === 'loki')).toBe(true);
    for (const query of queries) {
      const parser = query.language === 'loki' ? logqlParser : promqlParser;
      expect({ expr: query.expr, errors: syntaxErrors(parser, query.expr) }).toEqual({
        expr: query.expr,
        errors: [],
      });
    }
  });
});

describe('security alert coverage', () => {
  it('covers auth failures (spike and ratio) at gateway and API, 429s, certificates and jobs', () => {
    const alerts = prometheusRuleGroups(full).flatMap((group) => group.rules.map((rule) => rule.alert));
    expect(alerts).toEqual(
      expect.arrayContaining([
        'ApiAuthFailureSpike',
        'ApiAuthFailureRatio',
        'GatewayAuthFailureSpike',
        'GatewayAuthFailureRatio',
        'GatewayRateLimitSpike',
        'CertificateExpiringSoon',
        'CertificateNotReady',
        'ReconcilerFailed',
        'ReconcilerStale',
        'BackupFailed',
        'BackupStale',
      ]),
    );
  });

  it('scopes every expression to the stack namespace and drops rules for absent parts', () => {
    const minimal = prometheusRuleGroups({ ...full, gateway: false, certificates: false, backups: false });
    const alerts = minimal.flatMap((group) => group.rules);
    expect(alerts.map((rule) => rule.alert)).not.toContain('GatewayRateLimitSpike');
    expect(alerts.map((rule) => rule.alert)).not.toContain('CertificateNotReady');
    for (const rule of prometheusRuleGroups(full).flatMap((group) => group.rules)) {
      expect(rule.expr).toMatch(/namespace="workshop-end"|router=~"workshop-end-/);
      expect(rule.labels.severity).toMatch(/^(warning|critical)$/);
    }
    expect(lokiRuleGroups({ ...full, gateway: false })[0]?.rules.map((rule) => rule.alert)).not.toContain(
      'Fail2banBans',
    );
  });

  it('counts only recent job failures, so an old failure in the history does not fire forever', () => {
    const expr = recentJobFailures('namespace="n"', 'backup-.*', 3600);
    expect(syntaxErrors(promqlParser, expr)).toEqual([]);
    expect(expr).toContain('kube_job_status_start_time{namespace="n",job_name=~"backup-.*"}) < 3600');
  });

  it('builds a dashboard whose panels each have a datasource and targets', () => {
    const dashboard = securityDashboard('workshop-end', true) as {
      panels: Array<{
        title: string;
        datasource: { uid: string };
        targets: Array<{ refId: string; expr: string }>;
      }>;
    };
    expect(dashboard.panels.map((panel) => panel.title)).toEqual(
      expect.arrayContaining([
        'Gateway auth failures by client',
        'fail2ban bans',
        'Tokens issued',
        'Reconciler and backup runs',
      ]),
    );
    const tokens = dashboard.panels.find((panel) => panel.title === 'Tokens issued');
    expect(tokens?.datasource.uid).toBe('-- Mixed --');
    expect(tokens?.targets.map((target) => target.refId)).toEqual(['A', 'B']);
  });
});
