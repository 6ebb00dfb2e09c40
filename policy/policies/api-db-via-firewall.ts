import { defineStackPolicy } from '../lib/define';
import { envOf, findObject, k8sTypes, serviceSelects } from '../lib/k8s';
import { namedRole } from '../lib/roles';
import { workloadsOf } from '../lib/workloads';

export const apiDbViaFirewall = defineStackPolicy({
  name: 'api-db-via-firewall',
  description:
    "The API's database host (PGHOST) is the database firewall's Service, never PostgreSQL itself.",
  control: 'db-firewall',
  remediation:
    'Point the API at the jumpwire Service (PGHOST=jumpwire.<namespace>.svc) with its JumpWire credential.',
  validateStack: (args, reportViolation) => {
    const workloads = workloadsOf(args.resources);
    const services = args.resources.filter((r) => r.type === k8sTypes.service);
    for (const api of workloads.filter((workload) => workload.role === 'api')) {
      for (const { kind, name, spec } of api.containers) {
        if (kind !== 'containers') continue;
        const where = `${api.label} container "${name}"`;
        const host = envOf(spec).get('PGHOST')?.value?.trim();
        if (!host) {
          reportViolation(
            `${where}: PGHOST is not a literal host name, so the firewall cannot be verified`,
            api.urn,
          );
          continue;
        }
        const [serviceName, serviceNamespace = api.meta.namespace] = host.split('.');
        const service = findObject(services, k8sTypes.service, serviceName, serviceNamespace);
        const roles = service
          ? [
              namedRole(service.props),
              ...workloads
                .filter(
                  (w) => w.meta.namespace === serviceNamespace && serviceSelects(service.props, w.podLabels),
                )
                .map((w) => w.role),
            ]
          : [];
        if (!roles.includes('firewall') || roles.includes('postgres')) {
          reportViolation(
            `${where}: PGHOST "${host}" is ${roles.includes('postgres') ? 'PostgreSQL itself' : 'not the database firewall'}`,
            api.urn,
          );
        }
      }
    }
  },
});
