/** Readers for the PostgreSQL configuration a program hands to the server (files and `-c` flags). */

/** `name = value` settings of a postgresql.conf text (later lines win, as in PostgreSQL). */
export function parseConf(text: string): Map<string, string> {
  const settings = new Map<string, string>();
  for (const rawLine of text.split('\n')) {
    const line = rawLine.replace(/#.*$/, '').trim();
    const match = /^([A-Za-z_.]+)\s*=?\s*(.*)$/.exec(line);
    if (!match?.[1]) continue;
    settings.set(match[1].toLowerCase(), unquote(match[2] ?? ''));
  }
  return settings;
}

function unquote(value: string): string {
  const trimmed = value.trim();
  return /^'.*'$/.test(trimmed) ? trimmed.slice(1, -1) : trimmed;
}

/** Settings passed as server flags: `-c name=value`, `-cname=value`, `--name=value`. */
export function parseServerArgs(args: readonly string[]): Map<string, string> {
  const settings = new Map<string, string>();
  for (let index = 0; index < args.length; index++) {
    const arg = args[index] ?? '';
    let assignment: string | undefined;
    if (arg === '-c') assignment = args[++index];
    else if (arg.startsWith('-c')) assignment = arg.slice(2);
    else if (arg.startsWith('--')) assignment = arg.slice(2);
    const match = assignment ? /^([A-Za-z_.-]+)=(.*)$/.exec(assignment) : null;
    if (match?.[1]) settings.set(match[1].toLowerCase().replace(/-/g, '_'), unquote(match[2] ?? ''));
  }
  return settings;
}

export function isOn(value: string | undefined): boolean {
  return ['on', 'true', 'yes', '1'].includes((value ?? '').toLowerCase());
}

const methods = new Set([
  'trust',
  'reject',
  'scram-sha-256',
  'md5',
  'password',
  'gss',
  'sspi',
  'ident',
  'peer',
  'ldap',
  'radius',
  'cert',
  'pam',
  'bsd',
]);

export interface HbaEntry {
  type: string;
  method: string;
  line: string;
}

/** Entries of a pg_hba.conf text; the method is the first auth method after the address. */
export function parseHba(text: string): HbaEntry[] {
  const entries: HbaEntry[] = [];
  for (const rawLine of text.split('\n')) {
    const line = rawLine.replace(/#.*$/, '').trim();
    if (line === '') continue;
    const fields = line.split(/\s+/);
    const type = fields[0] ?? '';
    const method = fields.slice(type === 'local' ? 3 : 4).find((field) => methods.has(field)) ?? '';
    entries.push({ type, method, line });
  }
  return entries;
}

/** Why an hba file lets a client in without TLS (or at all without a password), if it does. */
export function hbaProblems(text: string): string[] {
  const entries = parseHba(text);
  const problems: string[] = [];
  for (const entry of entries) {
    if ((entry.type === 'host' || entry.type === 'hostnossl') && entry.method !== 'reject') {
      problems.push(`"${entry.line}" accepts connections without TLS`);
    }
    if (entry.type === 'hostssl' && entry.method === 'trust') {
      problems.push(`"${entry.line}" trusts network clients without a password`);
    }
  }
  if (!entries.some((entry) => entry.type === 'hostssl' && entry.method !== 'reject')) {
    problems.push('no hostssl entry admits TLS clients');
  }
  return problems;
}
