import { defineResourcePolicy } from '../lib/define';
import { envOf, isSet, k8sTypes, metadataOf } from '../lib/k8s';
import { namedRole } from '../lib/roles';
import { asRecords, asString } from '../lib/values';
import { workloadOf } from '../lib/workloads';

function isTlsPort(port: Record<string, unknown>): boolean {
  const number = Number(port.port);
  const name = `${asString(port.name) ?? ''} ${asString(port.appProtocol) ?? ''}`.toLowerCase();
  return number === 443 || number === 8443 || name.includes('https') || name.includes('tls');
}

export const apiServesTls = defineResourcePolicy({
  name: 'api-serves-tls',
  description:
    'The API serves HTTPS (TLS_CERT_DIR set) and its Service exposes only a TLS port besides metrics.',
  control: 'tls-in-transit',
  remediation: 'Mount the API certificate, set TLS_CERT_DIR, and expose the Service on 443 (name it https).',
  validateResource: (args, reportViolation) => {
    if (args.type === k8sTypes.service) {
      if (namedRole(args.props) !== 'api') return;
      const meta = metadataOf(args.props);
      const ports = asRecords((args.props.spec as Record<string, unknown> | undefined)?.ports);
      const label = `Service ${meta.namespace}/${meta.name ?? args.name}`;
      if (!ports.some(isTlsPort)) reportViolation(`${label}: no TLS port (443, or a port named https)`);
      for (const port of ports) {
        const name = asString(port.name) ?? '';
        if (!isTlsPort(port) && !name.includes('metrics')) {
          reportViolation(`${label}: port ${asString(port.port)} (${name || 'unnamed'}) is plain HTTP`);
        }
      }
      return;
    }
    const workload = workloadOf(args);
    if (workload?.role !== 'api') return;
    for (const { kind, name, spec } of workload.containers) {
      if (kind === 'containers' && !isSet(envOf(spec).get('TLS_CERT_DIR'))) {
        reportViolation(
          `${workload.label} container "${name}": TLS_CERT_DIR is not set, so the API serves plain HTTP`,
        );
      }
    }
  },
});
