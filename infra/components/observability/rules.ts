// Security alert rules: PromQL for Prometheus (PrometheusRule), LogQL for the Loki ruler.
import {
  API_METRICS,
  AUDIT_FIELDS,
  AUDIT_VALUES,
  CERT_MANAGER_METRICS,
  FAIL2BAN_BLOCKED_MESSAGE,
  KUBE_STATE_METRICS,
  LOG_LABELS,
  TRAEFIK_LOG_SOURCE,
  TRAEFIK_METRICS,
  routerPattern,
} from './signals';

export interface AlertRule {
  alert: string;
  expr: string;
  for: string;
  labels: { severity: 'warning' | 'critical'; control: string };
  annotations: { summary: string; description: string };
}

export interface RuleGroup {
  name: string;
  interval?: string;
  rules: AlertRule[];
}

export interface RuleScope {
  /** The stack's namespace (`workshop-<stack>`). */
  namespace: string;
  /** Whether the stack has the gateway (Traefik rules) and the CA (certificate rules). */
  gateway: boolean;
  certificates: boolean;
  reconciler: boolean;
  backups: boolean;
}

function rule(
  alert: string,
  expr: string,
  forDuration: string,
  severity: AlertRule['labels']['severity'],
  control: string,
  summary: string,
  description: string,
): AlertRule {
  return {
    alert,
    expr,
    for: forDuration,
    labels: { severity, control },
    annotations: { summary, description },
  };
}

/**
 * Jobs that failed and started within `seconds`: failed Jobs stay in the CronJob's history, so
 * without the window one old failure would keep the alert firing after later runs succeed.
 */
export function recentJobFailures(namespaceMatcher: string, jobPattern: string, seconds: number): string {
  const selector = `{${namespaceMatcher},job_name=~"${jobPattern}"}`;
  return `sum((${KUBE_STATE_METRICS.jobFailed}${selector} > 0) and on (namespace, job_name) ((time() - ${KUBE_STATE_METRICS.jobStarted}${selector}) < ${seconds})) > 0`;
}

export function prometheusRuleGroups(scope: RuleScope): RuleGroup[] {
  const ns = `namespace="${scope.namespace}"`;
  const router = `router=~"${routerPattern(scope.namespace)}"`;
  const groups: RuleGroup[] = [];

  const api: AlertRule[] = [
    // The burst rules fire within about two minutes (30 s scrapes and evaluations, a 2 m window):
    // the workshop's step 5 demo (docs/guide.md) trips them with a dozen refused requests.
    rule(
      'ApiAuthFailureBurst',
      `(sum(increase(${API_METRICS.authFailures}{${ns}}[2m])) or vector(0)) + (sum(increase(${API_METRICS.authzDenials}{${ns}}[2m])) or vector(0)) > 5`,
      '0m',
      'warning',
      'authn-jwt',
      'A burst of 401/403 answers from the API',
      'More than 5 authentication failures or scope denials within 2 minutes: someone is trying what their token does not allow.',
    ),
    rule(
      'ApiAuthFailureSpike',
      `(sum(rate(${API_METRICS.authFailures}{${ns}}[5m])) or vector(0)) + (sum(rate(${API_METRICS.authzDenials}{${ns}}[5m])) or vector(0)) > 1`,
      '5m',
      'warning',
      'authn-jwt',
      'Many 401/403 answers from the API',
      'Over one authentication failure or scope denial per second on average over 5 minutes, held for 5 minutes (about 7.5 minutes into a sudden attack; the burst alert is the fast signal): token guessing or a misconfigured client.',
    ),
    rule(
      'ApiAuthFailureRatio',
      `sum(rate(${API_METRICS.requests}{${ns},status_code=~"401|403"}[10m])) / sum(rate(${API_METRICS.requests}{${ns}}[10m])) > 0.25 and sum(rate(${API_METRICS.requests}{${ns}}[10m])) > 0.1`,
      '10m',
      'warning',
      'authn-jwt',
      'A quarter of API requests are refused',
      'Over 25% of API requests end in 401/403 for 10 minutes.',
    ),
  ];
  groups.push({ name: 'secure-workshop-api-auth', rules: api });

  if (scope.gateway) {
    groups.push({
      name: 'secure-workshop-gateway',
      rules: [
        rule(
          'GatewayRefusalBurst',
          `sum(increase(${TRAEFIK_METRICS.routerRequests}{${router},code=~"401|403|429"}[2m])) > 10`,
          '0m',
          'warning',
          'api-gateway',
          'A burst of refused requests at the gateway',
          'More than 10 requests refused within 2 minutes (JWT 403, API 401/403, fail2ban or rate-limit 429).',
        ),
        rule(
          'GatewayAuthFailureSpike',
          `sum by (router) (rate(${TRAEFIK_METRICS.routerRequests}{${router},code=~"401|403"}[5m])) > 1`,
          '5m',
          'warning',
          'api-gateway',
          'Many 401/403 answers at the gateway',
          'The gateway refuses over one request per second on {{ $labels.router }} on average over 5 minutes, held for 5 minutes: credential stuffing or token replay.',
        ),
        rule(
          'GatewayAuthFailureRatio',
          `sum(rate(${TRAEFIK_METRICS.routerRequests}{${router},code=~"401|403"}[10m])) / sum(rate(${TRAEFIK_METRICS.routerRequests}{${router}}[10m])) > 0.25 and sum(rate(${TRAEFIK_METRICS.routerRequests}{${router}}[10m])) > 0.1`,
          '10m',
          'warning',
          'api-gateway',
          'A quarter of gateway requests are refused',
          'Over 25% of requests through the gateway end in 401/403 for 10 minutes.',
        ),
        rule(
          'GatewayRateLimitSpike',
          `sum(rate(${TRAEFIK_METRICS.routerRequests}{${router},code="429"}[5m])) > 1`,
          '5m',
          'warning',
          'api-gateway',
          'Rate limit (429) spike at the gateway',
          'Over one request per second throttled with 429 on average over 5 minutes, held for 5 minutes: a client floods the API or fail2ban is banning.',
        ),
      ],
    });
  }

  if (scope.certificates) {
    groups.push({
      name: 'secure-workshop-certificates',
      rules: [
        rule(
          'CertificateExpiringSoon',
          `${CERT_MANAGER_METRICS.expiry}{${ns}} - time() < 7 * 24 * 3600`,
          '1h',
          'warning',
          'tls-in-transit',
          'Certificate {{ $labels.name }} expires within 7 days',
          'cert-manager should have renewed it (renewBefore is larger): check the Certificate and the issuer.',
        ),
        rule(
          'CertificateNotReady',
          `max by (name) (${CERT_MANAGER_METRICS.ready}{${ns},condition="False"}) == 1`,
          '10m',
          'critical',
          'tls-in-transit',
          'Certificate {{ $labels.name }} is not ready',
          'cert-manager cannot issue or renew the certificate; TLS on that hop will break at expiry.',
        ),
      ],
    });
  }

  const jobs: AlertRule[] = [];
  if (scope.reconciler) {
    jobs.push(
      rule(
        'ReconcilerFailed',
        recentJobFailures(ns, 'reconciler-.*', 900),
        '1m',
        'warning',
        'observability',
        'A reconciler run failed',
        'A reconciler Job has failed pods: the token, TLS or the data check failed; read its JSON line.',
      ),
      rule(
        'ReconcilerStale',
        `time() - max(${KUBE_STATE_METRICS.cronjobLastSuccess}{${ns},cronjob="reconciler"}) > 900`,
        '5m',
        'warning',
        'observability',
        'No successful reconciler run for 15 minutes',
        'The reconciler runs every minute; no success for 15 minutes means the books are not being checked.',
      ),
    );
  }
  if (scope.backups) {
    jobs.push(
      rule(
        'BackupFailed',
        recentJobFailures(ns, 'backup-.*|restore-check-.*', 26 * 3600),
        '1m',
        'critical',
        'encrypted-backups',
        'A backup or restore check failed',
        'An encrypted backup or its restore check failed: the newest copy may be missing or unusable.',
      ),
      rule(
        'BackupStale',
        `time() - max(${KUBE_STATE_METRICS.cronjobLastSuccess}{${ns},cronjob="backup"}) > 26 * 3600`,
        '15m',
        'critical',
        'encrypted-backups',
        'No successful backup for 26 hours',
        'The daily encrypted backup has not succeeded for more than a day.',
      ),
    );
  }
  if (jobs.length > 0) groups.push({ name: 'secure-workshop-jobs', rules: jobs });
  return groups;
}

export function lokiRuleGroups(scope: RuleScope): RuleGroup[] {
  const stackLogs = (container: string) =>
    `{${LOG_LABELS.namespace}="${scope.namespace}", ${LOG_LABELS.container}="${container}"}`;
  const rules: AlertRule[] = [
    rule(
      'PostgresAuthFailures',
      `sum(count_over_time(${stackLogs('postgres')} |~ "password authentication failed|no pg_hba.conf entry|certificate verify failed" [5m])) > 5`,
      '0m',
      'warning',
      'db-tls',
      'PostgreSQL refuses logins',
      'More than 5 failed or non-TLS logins in 5 minutes: a leaked or guessed password, or a client without TLS.',
    ),
    rule(
      'ApiAuditDenials',
      `sum(count_over_time(${stackLogs('api')} | json | ${AUDIT_FIELDS.marker}="true" | ${AUDIT_FIELDS.outcome}=~"${AUDIT_VALUES.denied}|${AUDIT_VALUES.failure}" [2m])) > 5`,
      '0m',
      'warning',
      'authz-scopes',
      'Denied actions in the API audit log',
      'More than 5 denied or failed auth decisions within 2 minutes in the audit log.',
    ),
  ];
  if (scope.gateway) {
    rules.push(
      rule(
        'Fail2banBans',
        `sum by (ip) (count_over_time({${LOG_LABELS.namespace}="${TRAEFIK_LOG_SOURCE.namespace}", ${LOG_LABELS.container}="${TRAEFIK_LOG_SOURCE.container}"} |= "${FAIL2BAN_BLOCKED_MESSAGE}" | json [5m])) > 0`,
        '0m',
        'warning',
        'api-gateway',
        'fail2ban is refusing {{ $labels.ip }}',
        'A client was banned after repeated 401/403/429 (fail2ban answers 429 while the ban lasts). Behind k3d every client shares one address, so a ban there blocks everyone for its minute.',
      ),
    );
  }
  return [{ name: 'secure-workshop-logs', interval: '1m', rules }];
}
