import { describe, expect, it } from 'vitest';
import {
  AUDIT_ACTIONS,
  AUDIT_FIELDS as API_AUDIT_FIELDS,
  AUDIT_OUTCOMES,
} from '../../../apps/api/src/audit.js';
import { METRIC_NAMES } from '../../../apps/api/src/metrics.js';
import { API_METRICS, AUDIT_FIELDS, AUDIT_VALUES } from './signals';

describe('observability signals match what the API emits', () => {
  it('audit field names and values', () => {
    expect(AUDIT_FIELDS).toEqual(API_AUDIT_FIELDS);
    expect(AUDIT_VALUES.issueToken).toBe(AUDIT_ACTIONS.issueToken);
    expect(AUDIT_VALUES.denied).toBe(AUDIT_OUTCOMES.denied);
    expect(AUDIT_VALUES.failure).toBe(AUDIT_OUTCOMES.failure);
  });

  it('metric names', () => {
    expect(API_METRICS).toEqual({
      requests: METRIC_NAMES.requests,
      authFailures: METRIC_NAMES.authFailures,
      authzDenials: METRIC_NAMES.authzDenials,
      tokenRequests: METRIC_NAMES.tokenRequests,
    });
  });
});
