// Names the outside world queries: audit log fields and values, and metric names. No imports, so the
// observability rules in infra/ read the same constants the API writes with.
export const AUDIT_FIELDS = {
  marker: 'audit',
  action: 'action',
  actor: 'actor',
  target: 'target',
  outcome: 'outcome',
  reqId: 'reqId',
} as const;

export const AUDIT_ACTIONS = {
  authenticate: 'authenticate',
  authorize: 'authorize',
  issueToken: 'token.issue',
  create: 'create',
  update: 'update',
  delete: 'delete',
} as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[keyof typeof AUDIT_ACTIONS];

export const AUDIT_OUTCOMES = { success: 'success', denied: 'denied', failure: 'failure' } as const;
export type AuditOutcome = (typeof AUDIT_OUTCOMES)[keyof typeof AUDIT_OUTCOMES];

export const METRIC_NAMES = {
  requests: 'http_requests_total',
  duration: 'http_request_duration_seconds',
  authFailures: 'api_auth_failures_total',
  authzDenials: 'api_authz_denials_total',
  tokenRequests: 'api_oauth_token_requests_total',
} as const;
