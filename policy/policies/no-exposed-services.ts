import * as k8s from '@pulumi/kubernetes';
import { validateResourceOfType } from '@pulumi/policy';
import { defineResourcePolicy } from '../lib/define';

const exposedTypes = ['LoadBalancer', 'NodePort'];
/** The ingress gateway is the one door; everything else stays ClusterIP. */
const gatewayNames = ['traefik'];

export const noExposedServices = defineResourcePolicy({
  name: 'no-exposed-services',
  description: 'No Service of type LoadBalancer or NodePort except the ingress gateway.',
  control: 'api-gateway',
  remediation: 'Use a ClusterIP Service and publish the workload through the gateway IngressRoute.',
  validateResource: validateResourceOfType(k8s.core.v1.Service, (service, args, reportViolation) => {
    const type = service.spec?.type;
    if (!type || !exposedTypes.includes(type)) return;
    const labels = service.metadata?.labels ?? {};
    const name = service.metadata?.name ?? args.name;
    const isGateway =
      gatewayNames.includes(name) || gatewayNames.includes(labels['app.kubernetes.io/name'] ?? '');
    if (!isGateway)
      reportViolation(`Service ${service.metadata?.namespace ?? 'default'}/${name} is of type ${type}`);
  }),
});
