import { defineStackPolicy } from '../lib/define';
import { k8sTypes } from '../lib/k8s';
import { asRecords, asString, at } from '../lib/values';
import { workloadsOf } from '../lib/workloads';

interface Topic {
  name: string;
  pattern: RegExp;
  /** The topic matters only when the stack has what it watches. */
  applies: (types: Set<string>, hasRateLimit: boolean) => boolean;
}

const topics: readonly Topic[] = [
  {
    name: 'authentication failures',
    pattern: /auth|401|403|unauthori[sz]ed|forbidden/i,
    applies: () => true,
  },
  {
    name: 'certificate expiry',
    pattern: /cert/i,
    applies: (types) => types.has(k8sTypes.certificate),
  },
  {
    name: 'rate-limit spikes',
    pattern: /429|rate.?limit|throttl/i,
    applies: (_types, hasRateLimit) => hasRateLimit,
  },
];

export const securityAlertRules = defineStackPolicy({
  name: 'security-alert-rules',
  description:
    'PrometheusRules alert on authentication failures, and on certificate expiry and rate-limit spikes where those exist.',
  control: 'observability',
  remediation: 'Add PrometheusRule alerts for 401/403 spikes, 429 spikes and certificates close to expiry.',
  validateStack: (args, reportViolation) => {
    const apis = workloadsOf(args.resources).filter((workload) => workload.role === 'api');
    if (apis.length === 0) return;
    const alerts = args.resources
      .filter((r) => r.type === k8sTypes.prometheusRule)
      .flatMap((r) => asRecords(at(r.props, 'spec', 'groups')))
      .flatMap((group) => asRecords(group.rules))
      .filter((rule) => asString(rule.alert))
      .map((rule) => `${asString(rule.alert)} ${asString(rule.expr) ?? ''}`);
    const types = new Set(args.resources.map((r) => r.type));
    const hasRateLimit = args.resources.some(
      (r) => r.type === k8sTypes.middleware && at(r.props, 'spec', 'rateLimit') !== undefined,
    );
    const missing = topics
      .filter((topic) => topic.applies(types, hasRateLimit))
      .filter((topic) => !alerts.some((alert) => topic.pattern.test(alert)))
      .map((topic) => topic.name);
    for (const api of apis) {
      if (missing.length > 0)
        reportViolation(`${api.label}: no PrometheusRule alert on ${missing.join(', ')}`, api.urn);
    }
  },
});
