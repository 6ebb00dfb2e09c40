// The alert rules evaluated by Prometheus' own rule engine (`promtool test rules`), over series that
// replay what the workshop does: the guide's step 5 demo (a dozen refused DELETEs) must fire the
// burst alerts within about two minutes and stop after it, the old demo's slow trickle must not page
// anyone, another stack's traffic must not fire this stack's rules, and an old failed Job in a
// CronJob's history must stop alerting once it is out of the window. rules.test.ts checks that the
// expressions parse; this checks what they mean.
//
// promtool comes from Debian's `prometheus` package (2.42; `.ci/run` installs it). The cluster runs
// Prometheus 3 (kube-prometheus-stack), whose range selectors are left-open: a sample exactly at the
// window's start no longer counts. Every series below changes between evaluation points, so each
// verdict is the same under both rules; the times in the comments say where that matters.
//
// What the engine taught us, and the rules' descriptions now say: `rate(x[5m]) > 1` is the average
// over the whole 5 minutes, so a sudden 2/s is seen as > 1/s only after 2.5 minutes, and the
// `for: 5m` spikes fire about 7.5 minutes into an attack, not 5; the bursts are the fast signal.
// Series are sampled every minute at most: with sparser samples Prometheus' 5-minute look-back sees
// gaps and a `for` never completes.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { yamlText } from '../../lib/yaml';
import { type AlertRule, prometheusRuleGroups, type RuleScope } from './rules';
import { API_METRICS, CERT_MANAGER_METRICS, KUBE_STATE_METRICS, TRAEFIK_METRICS } from './signals';

const scope: RuleScope = {
  namespace: 'workshop-end',
  gateway: true,
  certificates: true,
  reconciler: true,
  backups: true,
};
const groups = prometheusRuleGroups(scope);
const rules = new Map(groups.flatMap((group) => group.rules).map((rule) => [rule.alert, rule]));

const ours = 'namespace="workshop-end"';
const theirs = 'namespace="workshop-start"';
const ourRouter = 'router="workshop-end-api-4f2a@kubernetescrd"';
const theirRouter = 'router="workshop-start-api-9c1d@kubernetescrd"';

interface Series {
  series: string;
  /** promtool's expanding notation: `0+60x20` is 0, 60, … 1200. */
  values: string;
}

interface Expectation {
  /** Time since the first sample. */
  at: string;
  alert: string;
  /** The labels each firing alert has besides alertname, severity and control; [] = not firing. */
  firing: Array<Record<string, string>>;
}

interface Scenario {
  name: string;
  interval: string;
  series: Series[];
  expect: Expectation[];
}

function ruleNamed(alert: string): AlertRule {
  const rule = rules.get(alert);
  if (rule === undefined) throw new Error(`no rule ${alert}`);
  return rule;
}

/** The annotations as Prometheus expands them: `{{ $labels.x }}` is the alert's label x. */
function expandedAnnotations(rule: AlertRule, labels: Record<string, string>): Record<string, string> {
  const expand = (text: string) =>
    text.replace(/\{\{ \$labels\.(\w+) \}\}/g, (_, name: string) => labels[name] ?? '');
  return { summary: expand(rule.annotations.summary), description: expand(rule.annotations.description) };
}

function promtoolTest(scenario: Scenario) {
  return {
    name: scenario.name,
    interval: scenario.interval,
    input_series: scenario.series,
    alert_rule_test: scenario.expect.map(({ at, alert, firing }) => {
      const rule = ruleNamed(alert);
      return {
        eval_time: at,
        alertname: alert,
        exp_alerts: firing.map((labels) => ({
          exp_labels: { ...rule.labels, ...labels },
          exp_annotations: expandedAnnotations(rule, labels),
        })),
      };
    }),
  };
}

const scenarios: Scenario[] = [
  {
    // docs/guide.md step 5: a dozen DELETEs with the read-only token between the scrapes at 60 s and
    // 90 s. The gateway passes them (the token is valid) and counts the API's 403s; the API counts
    // scope denials and no authentication failure (that series is absent: `or vector(0)`).
    name: "step 5's dozen refusals fire both bursts within about two minutes, and they clear",
    interval: '30s',
    series: [
      {
        series: `${API_METRICS.authzDenials}{${ours},pod="api-0"}`,
        values: '0 0 0 12 12 12 12 12 12 12 12 12 12',
      },
      {
        series: `${TRAEFIK_METRICS.routerRequests}{${ourRouter},code="403",method="DELETE"}`,
        values: '0 0 0 12 12 12 12 12 12 12 12 12 12',
      },
    ],
    expect: [
      { at: '1m', alert: 'ApiAuthFailureBurst', firing: [] },
      { at: '2m', alert: 'ApiAuthFailureBurst', firing: [{}] },
      { at: '2m', alert: 'GatewayRefusalBurst', firing: [{}] },
      // The burst is over two minutes after it ended (window (3m30s, 5m30s] holds no increase).
      { at: '5m30s', alert: 'ApiAuthFailureBurst', firing: [] },
      { at: '5m30s', alert: 'GatewayRefusalBurst', firing: [] },
      // A dozen refusals are not a sustained attack.
      { at: '6m', alert: 'ApiAuthFailureSpike', firing: [] },
      { at: '6m', alert: 'GatewayAuthFailureSpike', firing: [] },
    ],
  },
  {
    name: "three mistakes are not a burst, and another stack's burst is not ours",
    interval: '30s',
    series: [
      { series: `${API_METRICS.authFailures}{${ours},pod="api-0"}`, values: '0 0 0 3 3 3 3 3' },
      { series: `${API_METRICS.authzDenials}{${theirs},pod="api-0"}`, values: '0 0 0 50 50 50 50 50' },
      {
        series: `${TRAEFIK_METRICS.routerRequests}{${theirRouter},code="403",method="DELETE"}`,
        values: '0 0 0 50 50 50 50 50',
      },
    ],
    expect: [
      { at: '2m', alert: 'ApiAuthFailureBurst', firing: [] },
      { at: '2m', alert: 'GatewayRefusalBurst', firing: [] },
    ],
  },
  {
    // Token guessing at 2 refusals a second, for 12 minutes.
    name: 'a sustained 2/s of refusals fires the spikes after their 5 minutes, not before',
    interval: '30s',
    series: [
      { series: `${API_METRICS.authFailures}{${ours},pod="api-0"}`, values: '0+60x24' },
      { series: `${API_METRICS.requests}{${ours},pod="api-0",status_code="401"}`, values: '0+60x24' },
      { series: `${API_METRICS.requests}{${ours},pod="api-0",status_code="200"}`, values: '0+15x24' },
      { series: `${TRAEFIK_METRICS.routerRequests}{${ourRouter},code="401"}`, values: '0+60x24' },
      { series: `${TRAEFIK_METRICS.routerRequests}{${ourRouter},code="200"}`, values: '0+15x24' },
    ],
    expect: [
      // The 5-minute average passes 1/s after 2.5 minutes, then `for: 5m`.
      { at: '7m', alert: 'ApiAuthFailureSpike', firing: [] },
      { at: '9m', alert: 'ApiAuthFailureSpike', firing: [{}] },
      {
        at: '9m',
        alert: 'GatewayAuthFailureSpike',
        firing: [{ router: 'workshop-end-api-4f2a@kubernetescrd' }],
      },
      // The ratios wait 10 minutes: 80% of requests refused.
      { at: '8m', alert: 'ApiAuthFailureRatio', firing: [] },
      { at: '12m', alert: 'ApiAuthFailureRatio', firing: [{}] },
      { at: '12m', alert: 'GatewayAuthFailureRatio', firing: [{}] },
    ],
  },
  {
    // What the old guide did: 100 requests at about 0.3/s. Nothing to page anyone about.
    name: 'a slow trickle of refusals fires no spike and no ratio on little traffic',
    interval: '30s',
    series: [
      { series: `${API_METRICS.authFailures}{${ours},pod="api-0"}`, values: '0+9x30' },
      { series: `${TRAEFIK_METRICS.routerRequests}{${ourRouter},code="401"}`, values: '0+9x30' },
      { series: `${API_METRICS.requests}{${ours},pod="api-0",status_code="401"}`, values: '0+1x30' },
      { series: `${TRAEFIK_METRICS.routerRequests}{${ourRouter},code="403"}`, values: '0+1x30' },
    ],
    expect: [
      { at: '14m', alert: 'ApiAuthFailureSpike', firing: [] },
      { at: '14m', alert: 'GatewayAuthFailureSpike', firing: [] },
      // All of it refused, but 1 request in 30 s (0.03/s) is under the ratios' 0.1/s floor.
      { at: '14m', alert: 'ApiAuthFailureRatio', firing: [] },
    ],
  },
  {
    name: 'fail2ban or the rate limit refusing more than 1/s for 5 minutes',
    interval: '30s',
    // 1.5/s: the 5-minute average passes 1/s after 3m20s, then `for: 5m`.
    series: [{ series: `${TRAEFIK_METRICS.routerRequests}{${ourRouter},code="429"}`, values: '0+45x30' }],
    expect: [
      { at: '8m', alert: 'GatewayRateLimitSpike', firing: [] },
      { at: '9m', alert: 'GatewayRateLimitSpike', firing: [{}] },
    ],
  },
  {
    // A reconciler Job that started at 60 s and failed. kube-state-metrics keeps it while the
    // CronJob keeps it in its history; the rule forgets it 15 minutes after it started.
    name: 'a failed reconciler run alerts, and stops alerting once it is old history',
    interval: '1m',
    series: [
      { series: `${KUBE_STATE_METRICS.jobFailed}{${ours},job_name="reconciler-29000001"}`, values: '1x30' },
      { series: `${KUBE_STATE_METRICS.jobStarted}{${ours},job_name="reconciler-29000001"}`, values: '60x30' },
      { series: `${KUBE_STATE_METRICS.jobFailed}{${theirs},job_name="reconciler-29000001"}`, values: '1x30' },
      {
        series: `${KUBE_STATE_METRICS.jobStarted}{${theirs},job_name="reconciler-29000001"}`,
        values: '1500x30',
      },
    ],
    expect: [
      { at: '3m', alert: 'ReconcilerFailed', firing: [{}] },
      { at: '20m', alert: 'ReconcilerFailed', firing: [] },
    ],
  },
  {
    // Last success at 0 s, then none: stale after 15 minutes, alerting 5 minutes later.
    name: 'no successful reconciler run for 15 minutes',
    interval: '1m',
    series: [
      { series: `${KUBE_STATE_METRICS.cronjobLastSuccess}{${ours},cronjob="reconciler"}`, values: '0x30' },
    ],
    expect: [
      { at: '18m', alert: 'ReconcilerStale', firing: [] },
      { at: '22m', alert: 'ReconcilerStale', firing: [{}] },
    ],
  },
  {
    // A reconciler that succeeds every minute is never stale.
    name: 'a reconciler that succeeds every minute is never stale',
    interval: '1m',
    series: [
      { series: `${KUBE_STATE_METRICS.cronjobLastSuccess}{${ours},cronjob="reconciler"}`, values: '0+60x30' },
    ],
    expect: [{ at: '25m', alert: 'ReconcilerStale', firing: [] }],
  },
  {
    name: 'a failed backup alerts; no successful backup for 26 hours alerts',
    interval: '1m',
    series: [
      // Started at 10 minutes, failed at 20.
      {
        series: `${KUBE_STATE_METRICS.jobFailed}{${ours},job_name="backup-29000002"}`,
        values: '0x19 1x1700',
      },
      { series: `${KUBE_STATE_METRICS.jobStarted}{${ours},job_name="backup-29000002"}`, values: '600x1720' },
      { series: `${KUBE_STATE_METRICS.cronjobLastSuccess}{${ours},cronjob="backup"}`, values: '0x1720' },
    ],
    expect: [
      { at: '19m', alert: 'BackupFailed', firing: [] },
      { at: '22m', alert: 'BackupFailed', firing: [{}] },
      { at: '26h', alert: 'BackupStale', firing: [] },
      { at: '27h', alert: 'BackupStale', firing: [{}] },
    ],
  },
  {
    // One certificate expires in 5 days (cert-manager failed to renew it), one in 60.
    name: 'a certificate near expiry or not ready',
    interval: '1m',
    series: [
      { series: `${CERT_MANAGER_METRICS.expiry}{${ours},name="api-tls"}`, values: '432000x100' },
      { series: `${CERT_MANAGER_METRICS.expiry}{${ours},name="postgres-tls"}`, values: '5184000x100' },
      // Not ready from 10 minutes on.
      {
        series: `${CERT_MANAGER_METRICS.ready}{${ours},name="jumpwire-tls",condition="False"}`,
        values: '0x9 1x90',
      },
      {
        series: `${CERT_MANAGER_METRICS.ready}{${ours},name="jumpwire-tls",condition="True"}`,
        values: '1x9 0x90',
      },
    ],
    expect: [
      { at: '30m', alert: 'CertificateExpiringSoon', firing: [] },
      {
        at: '65m',
        alert: 'CertificateExpiringSoon',
        firing: [{ namespace: 'workshop-end', name: 'api-tls' }],
      },
      { at: '15m', alert: 'CertificateNotReady', firing: [] },
      { at: '25m', alert: 'CertificateNotReady', firing: [{ name: 'jumpwire-tls' }] },
    ],
  },
];

function promtool(): string {
  const found = spawnSync('promtool', ['--version'], { encoding: 'utf8' });
  if (found.error !== undefined || found.status !== 0) {
    throw new Error("promtool not found: install Debian's prometheus package (bash .ci/run does)");
  }
  return 'promtool';
}

const work = mkdtempSync(path.join(os.tmpdir(), 'promtool-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function runPromtool(tests: Scenario[]): { status: number | null; output: string } {
  const name = `tests-${Math.random().toString(36).slice(2)}.yml`;
  writeFileSync(path.join(work, 'rules.yml'), yamlText({ groups }));
  writeFileSync(
    path.join(work, name),
    yamlText({ rule_files: ['rules.yml'], evaluation_interval: '30s', tests: tests.map(promtoolTest) }),
  );
  const run = spawnSync(promtool(), ['test', 'rules', name], { cwd: work, encoding: 'utf8' });
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

describe('the alert rules, evaluated by promtool', () => {
  it('has a scenario for every Prometheus rule', () => {
    const tested = new Set(scenarios.flatMap((scenario) => scenario.expect.map((check) => check.alert)));
    expect([...rules.keys()].filter((alert) => !tested.has(alert))).toEqual([]);
  });

  it('every scenario holds', () => {
    const run = runPromtool(scenarios);
    expect(run.output).toContain('SUCCESS');
    expect(run.status, run.output).toBe(0);
  });

  it('a wrong expectation fails (the harness can fail)', () => {
    const wrong: Scenario = {
      name: 'three mistakes claimed to be a burst',
      interval: '30s',
      series: [{ series: `${API_METRICS.authFailures}{${ours},pod="api-0"}`, values: '0 0 0 3 3 3 3 3' }],
      expect: [{ at: '2m', alert: 'ApiAuthFailureBurst', firing: [{}] }],
    };
    const run = runPromtool([wrong]);
    expect(run.status).toBe(1);
    expect(run.output).toContain('ApiAuthFailureBurst');
  });
});
