// What the rules and dashboards query: metric names, log fields and label values, kept in one place.
// The API's own names come from apps/api/src/signals.ts, the module the API writes them with.

import { AUDIT_ACTIONS, AUDIT_FIELDS, AUDIT_OUTCOMES, METRIC_NAMES } from '@secure-workshop/contracts';

export { AUDIT_FIELDS };
export const API_METRICS = METRIC_NAMES;

export const AUDIT_VALUES = {
  issueToken: AUDIT_ACTIONS.issueToken,
  denied: AUDIT_OUTCOMES.denied,
  failure: AUDIT_OUTCOMES.failure,
} as const;

/** Traefik v3.7 Prometheus metrics (router labels on) and JSON access-log fields. */
export const TRAEFIK_METRICS = { routerRequests: 'traefik_router_requests_total' } as const;
export const TRAEFIK_ACCESS_LOG = {
  client: 'ClientHost',
  router: 'RouterName',
  status: 'DownstreamStatus',
  path: 'RequestPath',
} as const;

/** The structured line fail2ban v0.9.0 writes when it refuses a client. */
export const FAIL2BAN_BLOCKED_MESSAGE = 'Plugin: FailToBan: IP blocked';

export const CERT_MANAGER_METRICS = {
  expiry: 'certmanager_certificate_expiration_timestamp_seconds',
  ready: 'certmanager_certificate_ready_status',
} as const;

export const KUBE_STATE_METRICS = {
  jobFailed: 'kube_job_status_failed',
  jobStarted: 'kube_job_status_start_time',
  jobSucceeded: 'kube_job_status_succeeded',
  cronjobLastSuccess: 'kube_cronjob_status_last_successful_time',
} as const;

/** Where logs come from, as labelled by the Alloy pipeline in charts.ts. */
export const LOG_LABELS = { namespace: 'namespace', container: 'container', app: 'app' } as const;
export const TRAEFIK_LOG_SOURCE = { namespace: 'kube-system', container: 'traefik' } as const;

/** Traefik names CRD routers `<namespace>-<ingressroute>-<hash>@kubernetescrd`. */
export function routerPattern(namespace: string): string {
  return `${namespace}-.*@kubernetescrd`;
}
