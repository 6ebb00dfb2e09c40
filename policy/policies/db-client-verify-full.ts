import { defineResourcePolicy } from '../lib/define';
import { envOf, isSet } from '../lib/k8s';
import { asArray, asString } from '../lib/values';
import { workloadOf } from '../lib/workloads';

const postgresUrl = /^postgres(ql)?:\/\//;
/** Variables that may hold a connection URL (only these are read: other values may be unknown in a preview). */
const connectionVariable = /(URL|URI|DSN)$|^DATABASE/;

/** Problems with a libpq URL or key=value conninfo that is meant to reach a server. */
function connectionProblems(text: string): string[] {
  const problems: string[] = [];
  if (!/sslmode=verify-full\b/.test(text)) problems.push('sslmode=verify-full');
  if (!/sslrootcert=\S/.test(text)) problems.push('sslrootcert');
  return problems;
}

export const dbClientVerifyFull = defineResourcePolicy({
  name: 'db-client-verify-full',
  description:
    'Every client of PostgreSQL or of the database firewall connects over the network with PGSSLMODE=verify-full and a root certificate (PGSSLROOTCERT); a local socket in the server pod needs neither.',
  control: 'db-tls',
  remediation:
    'Set PGSSLMODE=verify-full and PGSSLROOTCERT to the mounted CA bundle, and connect by DNS name.',
  validateResource: (args, reportViolation) => {
    const workload = workloadOf(args);
    if (!workload) return;
    for (const { name, spec } of workload.containers) {
      const where = `${workload.label} container "${name}"`;
      const env = envOf(spec);
      const host = env.get('PGHOST')?.value;
      // A socket directory (PostgreSQL's own pod, e.g. the roles container) is not a network hop.
      if (isSet(env.get('PGHOST')) && !host?.startsWith('/')) {
        const mode = env.get('PGSSLMODE')?.value;
        if (mode !== 'verify-full')
          reportViolation(`${where}: PGSSLMODE is ${mode ? `"${mode}"` : 'unset'}, expected verify-full`);
        if (!isSet(env.get('PGSSLROOTCERT'))) reportViolation(`${where}: PGSSLROOTCERT is not set`);
      }
      for (const entry of [...env.values()].filter((e) => connectionVariable.test(e.name))) {
        if (entry.value && postgresUrl.test(entry.value)) {
          const missing = connectionProblems(entry.value);
          if (missing.length > 0) reportViolation(`${where}: ${entry.name} lacks ${missing.join(' and ')}`);
        }
      }
      const commandLine = [...asArray(spec.command), ...asArray(spec.args)]
        .map((part) => asString(part) ?? '')
        .join(' ');
      if (/\bhost=\S/.test(commandLine) || postgresUrl.test(commandLine.trim())) {
        const missing = connectionProblems(commandLine).filter(
          (problem) =>
            !(problem === 'sslmode=verify-full' && env.get('PGSSLMODE')?.value === 'verify-full') &&
            !(problem === 'sslrootcert' && isSet(env.get('PGSSLROOTCERT'))),
        );
        if (missing.length > 0)
          reportViolation(`${where}: connection string in the command lacks ${missing.join(' and ')}`);
      }
    }
  },
});
