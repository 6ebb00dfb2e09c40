import type { PolicyResource } from '@pulumi/policy';
import { defineStackPolicy } from '../lib/define';
import { envOf, isSet, k8sTypes, metadataOf, selectorMatches, serviceSelects } from '../lib/k8s';
import { asArray, asRecord, asRecords, asString, at, isTrue } from '../lib/values';
import { workloadsOf, type Workload } from '../lib/workloads';

/** True when a ServiceMonitor scrapes a port (by name or target port) of a Service that fronts the workload. */
function isScraped(resources: readonly PolicyResource[], workload: Workload): boolean {
  const namespace = workload.meta.namespace;
  const services = resources.filter(
    (r) =>
      r.type === k8sTypes.service &&
      metadataOf(r.props).namespace === namespace &&
      serviceSelects(r.props, workload.podLabels),
  );
  const monitors = resources.filter((r) => r.type === k8sTypes.serviceMonitor);
  return services.some((service) => {
    const serviceMeta = metadataOf(service.props);
    const ports = asRecords(at(service.props, 'spec', 'ports'));
    const portNames = ports.map((port) => asString(port.name));
    // A named targetPort is the container port of that name: a monitor may give either.
    const containerPorts = workload.containers.flatMap(({ spec }) => asRecords(spec.ports));
    const targetPorts = ports.flatMap((port) => {
      const target = asString(port.targetPort ?? port.port);
      const named = containerPorts.find((containerPort) => asString(containerPort.name) === target);
      return named ? [target, asString(named.containerPort)] : [target];
    });
    return monitors.some((monitor) => {
      const spec = asRecord(monitor.props.spec) ?? {};
      const namespaceSelector = asRecord(spec.namespaceSelector);
      const namespaceOk = namespaceSelector
        ? isTrue(namespaceSelector.any) || asArray(namespaceSelector.matchNames).includes(namespace)
        : metadataOf(monitor.props).namespace === namespace;
      return (
        namespaceOk &&
        selectorMatches(spec.selector, serviceMeta.labels) &&
        asRecords(spec.endpoints).some(
          (endpoint) =>
            (endpoint.port !== undefined && portNames.includes(asString(endpoint.port))) ||
            (endpoint.targetPort !== undefined && targetPorts.includes(asString(endpoint.targetPort))),
        )
      );
    });
  });
}

export const apiMetricsScraped = defineStackPolicy({
  name: 'api-metrics-scraped',
  description:
    'The API exposes metrics (METRICS_PORT) and a ServiceMonitor scrapes them through its Service.',
  control: 'observability',
  remediation:
    "Set METRICS_PORT, name that port on the API Service (metrics) and add a ServiceMonitor selecting the Service's labels with endpoints [{ port: metrics }].",
  validateStack: (args, reportViolation) => {
    for (const api of workloadsOf(args.resources).filter((workload) => workload.role === 'api')) {
      const exposes = api.containers.some(
        (c) => c.kind === 'containers' && isSet(envOf(c.spec).get('METRICS_PORT')),
      );
      if (!exposes)
        reportViolation(`${api.label}: METRICS_PORT is not set, so no metrics are exposed`, api.urn);
      if (!isScraped(args.resources, api)) {
        reportViolation(`${api.label}: no ServiceMonitor scrapes a port of a Service selecting it`, api.urn);
      }
    }
  },
});
