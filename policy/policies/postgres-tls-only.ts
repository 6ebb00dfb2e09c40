import type { PolicyResource } from '@pulumi/policy';
import { defineStackPolicy } from '../lib/define';
import { envOf, filesOf, findObject, k8sTypes } from '../lib/k8s';
import { hbaProblems, isOn, parseConf, parseServerArgs } from '../lib/postgres-config';
import { asArray, asRecords, asString, at } from '../lib/values';
import { mountedFileText, workloadsOf, type Workload } from '../lib/workloads';

const modernVersions = ['tlsv1.2', 'tlsv1.3'];

/** Files of every ConfigMap and Secret the pod mounts (directly or projected), by file name. */
function mountedFiles(resources: readonly PolicyResource[], workload: Workload): Array<[string, string]> {
  const sources: Array<{ type: string; name: string | undefined }> = [];
  for (const volume of asRecords(workload.podSpec.volumes)) {
    sources.push({ type: k8sTypes.configMap, name: asString(at(volume, 'configMap', 'name')) });
    sources.push({ type: k8sTypes.secret, name: asString(at(volume, 'secret', 'secretName')) });
    for (const source of asRecords(at(volume, 'projected', 'sources'))) {
      sources.push({ type: k8sTypes.configMap, name: asString(at(source, 'configMap', 'name')) });
      sources.push({ type: k8sTypes.secret, name: asString(at(source, 'secret', 'name')) });
    }
  }
  return sources.flatMap(({ type, name }) => {
    const found = findObject(resources, type, name, workload.meta.namespace);
    return found ? Object.entries(filesOf(type, found.props)) : [];
  });
}

export const postgresTlsOnly = defineStackPolicy({
  name: 'postgres-tls-only',
  description:
    'PostgreSQL runs with ssl=on (TLS 1.2+) and a pg_hba.conf that rejects every non-TLS network connection.',
  control: 'db-tls',
  remediation:
    'Mount the server certificate, pass ssl=on and ssl_min_protocol_version=TLSv1.2, and mount a pg_hba.conf with only hostssl ... scram-sha-256 entries.',
  validateStack: (args, reportViolation) => {
    for (const postgres of workloadsOf(args.resources).filter((workload) => workload.role === 'postgres')) {
      const files = mountedFiles(args.resources, postgres);
      const settings = new Map<string, string>();
      for (const [name, text] of files) {
        if (name.endsWith('.conf') && !/hba|ident/.test(name))
          parseConf(text).forEach((v, k) => settings.set(k, v));
      }
      const servers = postgres.containers.filter(({ kind }) => kind === 'containers');
      for (const { spec } of servers) {
        const argv = [...asArray(spec.command), ...asArray(spec.args)].map((part) => asString(part) ?? '');
        parseServerArgs(argv).forEach((value, key) => settings.set(key, value));
        const hostAuthMethod = envOf(spec).get('POSTGRES_HOST_AUTH_METHOD')?.value;
        if (hostAuthMethod === 'trust') {
          reportViolation(`${postgres.label}: POSTGRES_HOST_AUTH_METHOD=trust lets anyone in`, postgres.urn);
        }
      }
      if (!isOn(settings.get('ssl'))) {
        reportViolation(
          `${postgres.label}: ssl is ${settings.get('ssl') ?? 'not set'}, expected on`,
          postgres.urn,
        );
      }
      const minVersion = settings.get('ssl_min_protocol_version');
      if (minVersion !== undefined && !modernVersions.includes(minVersion.toLowerCase())) {
        reportViolation(
          `${postgres.label}: ssl_min_protocol_version is ${minVersion}, expected TLSv1.2+`,
          postgres.urn,
        );
      }
      // With hba_file set, exactly that file counts; otherwise any mounted pg_hba (an init script copies it).
      const hbaPath = settings.get('hba_file');
      const hbaFiles: Array<[string, string]> = hbaPath
        ? servers.flatMap(({ spec }) => {
            const text = mountedFileText(args.resources, postgres, spec, hbaPath);
            return text === undefined ? [] : [[hbaPath, text] as [string, string]];
          })
        : files.filter(([name]) => name.includes('hba'));
      if (hbaFiles.length === 0) {
        reportViolation(
          hbaPath
            ? `${postgres.label}: hba_file ${hbaPath} is not a file of a mounted ConfigMap or Secret`
            : `${postgres.label}: no pg_hba.conf is mounted; the image default accepts host connections without TLS`,
          postgres.urn,
        );
      }
      for (const [name, text] of hbaFiles) {
        for (const problem of hbaProblems(text))
          reportViolation(`${postgres.label}: ${name}: ${problem}`, postgres.urn);
      }
    }
  },
});
