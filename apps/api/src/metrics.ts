// Prometheus metrics of one API instance (own registry, so tests can run several per process).
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { METRIC_NAMES } from '@secure-workshop/contracts';

export { METRIC_NAMES };

export interface ApiMetrics {
  registry: Registry;
  requests: Counter<'method' | 'route' | 'status_code'>;
  duration: Histogram<'method' | 'route'>;
  authFailures: Counter<'reason'>;
  authzDenials: Counter<'scope'>;
  tokenRequests: Counter<'outcome'>;
}

export function createMetrics(): ApiMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    requests: new Counter({
      name: METRIC_NAMES.requests,
      help: 'HTTP requests by route template and status code',
      labelNames: ['method', 'route', 'status_code'],
      registers: [registry],
    }),
    duration: new Histogram({
      name: METRIC_NAMES.duration,
      help: 'HTTP request duration',
      labelNames: ['method', 'route'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    authFailures: new Counter({
      name: METRIC_NAMES.authFailures,
      help: 'Requests refused with 401, by reason (missing, expired, invalid)',
      labelNames: ['reason'],
      registers: [registry],
    }),
    authzDenials: new Counter({
      name: METRIC_NAMES.authzDenials,
      help: 'Requests refused with 403 for a missing scope',
      labelNames: ['scope'],
      registers: [registry],
    }),
    tokenRequests: new Counter({
      name: METRIC_NAMES.tokenRequests,
      help: 'Token endpoint answers by outcome (issued or the RFC 6749 error code)',
      labelNames: ['outcome'],
      registers: [registry],
    }),
  };
}
