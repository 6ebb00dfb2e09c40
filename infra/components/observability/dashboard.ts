// The Grafana dashboard for security events, as JSON the Grafana sidecar loads from a ConfigMap.
import {
  API_METRICS,
  AUDIT_FIELDS,
  AUDIT_VALUES,
  FAIL2BAN_BLOCKED_MESSAGE,
  KUBE_STATE_METRICS,
  LOG_LABELS,
  TRAEFIK_ACCESS_LOG,
  TRAEFIK_LOG_SOURCE,
  TRAEFIK_METRICS,
  routerPattern,
} from './signals';

export const DATASOURCES = {
  prometheus: { type: 'prometheus', uid: 'prometheus' },
  loki: { type: 'loki', uid: 'loki' },
} as const;

export type QueryLanguage = keyof typeof DATASOURCES;

export interface PanelQuery {
  language: QueryLanguage;
  expr: string;
  legend: string;
}

export interface PanelSpec {
  title: string;
  description: string;
  queries: PanelQuery[];
}

export function securityPanels(namespace: string, gateway: boolean): PanelSpec[] {
  const router = `router=~"${routerPattern(namespace)}"`;
  const traefikLogs = `{${LOG_LABELS.namespace}="${TRAEFIK_LOG_SOURCE.namespace}", ${LOG_LABELS.container}="${TRAEFIK_LOG_SOURCE.container}"}`;
  const apiLogs = `{${LOG_LABELS.namespace}="${namespace}", ${LOG_LABELS.container}="api"}`;
  const panels: PanelSpec[] = [];
  if (gateway) {
    panels.push(
      {
        title: 'Gateway auth failures by route',
        description: '401/403 answered at the gateway, per router and status',
        queries: [
          {
            language: 'prometheus',
            expr: `sum by (router, code) (rate(${TRAEFIK_METRICS.routerRequests}{${router},code=~"401|403"}[5m]))`,
            legend: '{{router}} {{code}}',
          },
        ],
      },
      {
        title: 'Gateway auth failures by client',
        description: 'From the JSON access log; behind k3d every client shows the load balancer address',
        queries: [
          {
            language: 'loki',
            expr: `sum by (${TRAEFIK_ACCESS_LOG.client}) (count_over_time(${traefikLogs} | json | ${TRAEFIK_ACCESS_LOG.router}=~"${routerPattern(namespace)}" | ${TRAEFIK_ACCESS_LOG.status}=~"401|403" [5m]))`,
            legend: `{{${TRAEFIK_ACCESS_LOG.client}}}`,
          },
        ],
      },
      {
        title: 'fail2ban bans',
        description: 'Clients fail2ban refused, by address',
        queries: [
          {
            language: 'loki',
            expr: `sum by (ip) (count_over_time(${traefikLogs} |= "${FAIL2BAN_BLOCKED_MESSAGE}" | json [5m]))`,
            legend: '{{ip}}',
          },
        ],
      },
    );
  }
  panels.push(
    {
      title: 'API auth failures by route',
      description: '401/403 answered by the API, per route template',
      queries: [
        {
          language: 'prometheus',
          expr: `sum by (route, status_code) (rate(${API_METRICS.requests}{namespace="${namespace}",status_code=~"401|403"}[5m]))`,
          legend: '{{route}} {{status_code}}',
        },
        {
          language: 'prometheus',
          expr: `sum by (reason) (rate(${API_METRICS.authFailures}{namespace="${namespace}"}[5m]))`,
          legend: '401 {{reason}}',
        },
      ],
    },
    {
      title: 'Denied actions by actor (audit log)',
      description: 'Audit lines with a denied or failed outcome, per actor and action',
      queries: [
        {
          language: 'loki',
          expr: `sum by (${AUDIT_FIELDS.actor}, ${AUDIT_FIELDS.action}) (count_over_time(${apiLogs} | json | ${AUDIT_FIELDS.marker}="true" | ${AUDIT_FIELDS.outcome}=~"${AUDIT_VALUES.denied}|${AUDIT_VALUES.failure}" [5m]))`,
          legend: `{{${AUDIT_FIELDS.actor}}} {{${AUDIT_FIELDS.action}}}`,
        },
      ],
    },
    {
      title: 'Tokens issued',
      description: 'Token endpoint answers by outcome, and issued tokens per client from the audit log',
      queries: [
        {
          language: 'prometheus',
          expr: `sum by (outcome) (increase(${API_METRICS.tokenRequests}{namespace="${namespace}"}[1h]))`,
          legend: '{{outcome}}',
        },
        {
          language: 'loki',
          expr: `sum by (${AUDIT_FIELDS.actor}) (count_over_time(${apiLogs} | json | ${AUDIT_FIELDS.action}="${AUDIT_VALUES.issueToken}" [1h]))`,
          legend: `{{${AUDIT_FIELDS.actor}}}`,
        },
      ],
    },
    {
      title: 'Reconciler and backup runs',
      description: 'Succeeded and failed Jobs, and minutes since the last success',
      queries: [
        {
          language: 'prometheus',
          expr: `sum by (job_name) (${KUBE_STATE_METRICS.jobSucceeded}{namespace="${namespace}",job_name=~"reconciler-.*|backup-.*"})`,
          legend: 'ok {{job_name}}',
        },
        {
          language: 'prometheus',
          expr: `sum by (job_name) (${KUBE_STATE_METRICS.jobFailed}{namespace="${namespace}",job_name=~"reconciler-.*|backup-.*"})`,
          legend: 'failed {{job_name}}',
        },
        {
          language: 'prometheus',
          expr: `(time() - ${KUBE_STATE_METRICS.cronjobLastSuccess}{namespace="${namespace}"}) / 60`,
          legend: 'minutes since {{cronjob}} succeeded',
        },
      ],
    },
  );
  return panels;
}

const MIXED = { type: 'datasource', uid: '-- Mixed --' } as const;

function panelDatasource(panel: PanelSpec): { type: string; uid: string } {
  const languages = new Set(panel.queries.map((query) => query.language));
  const [only] = [...languages];
  return languages.size === 1 && only ? DATASOURCES[only] : MIXED;
}

/** A Grafana dashboard model (schemaVersion 39) with one time-series panel per PanelSpec. */
export function securityDashboard(namespace: string, gateway: boolean): Record<string, unknown> {
  const panels = securityPanels(namespace, gateway).map((panel, index) => ({
    id: index + 1,
    type: 'timeseries',
    title: panel.title,
    description: panel.description,
    gridPos: { h: 8, w: 12, x: (index % 2) * 12, y: Math.floor(index / 2) * 8 },
    datasource: panelDatasource(panel),
    targets: panel.queries.map((query, queryIndex) => ({
      refId: String.fromCharCode(65 + queryIndex),
      datasource: DATASOURCES[query.language],
      expr: query.expr,
      legendFormat: query.legend,
      ...(query.language === 'loki' ? { queryType: 'range' } : {}),
    })),
  }));
  return {
    uid: `sw-security-${namespace}`.slice(0, 40),
    title: `Security events (${namespace})`,
    tags: ['secure-workshop', 'security'],
    timezone: 'utc',
    schemaVersion: 39,
    refresh: '30s',
    time: { from: 'now-6h', to: 'now' },
    panels,
  };
}
