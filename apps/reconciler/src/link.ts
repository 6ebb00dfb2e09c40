/**
 * Returns the target of the `rel="next"` entry of an RFC 8288 `Link` header, resolved against the
 * URL of the page that carried it, or undefined when there is no next page.
 */
export function parseNextLink(header: string | string[] | undefined, base: string): string | undefined {
  if (header === undefined) return undefined;
  const values = Array.isArray(header) ? header : [header];
  for (const value of values) {
    for (const entry of splitLinkEntries(value)) {
      const match = /^\s*<([^>]*)>\s*(.*)$/s.exec(entry);
      if (!match) continue;
      const [, target = '', params = ''] = match;
      if (hasRelNext(params)) return new URL(target, base).toString();
    }
  }
  return undefined;
}

// Commas separate entries but may also appear inside <...> or quoted parameter values.
function splitLinkEntries(value: string): string[] {
  const entries: string[] = [];
  let current = '';
  let inAngle = false;
  let inQuote = false;
  for (const char of value) {
    if (char === '<' && !inQuote) inAngle = true;
    else if (char === '>' && !inQuote) inAngle = false;
    else if (char === '"' && !inAngle) inQuote = !inQuote;
    if (char === ',' && !inAngle && !inQuote) {
      entries.push(current);
      current = '';
    } else {
      current += char;
    }
  }
  entries.push(current);
  return entries;
}

function hasRelNext(params: string): boolean {
  for (const param of params.split(';')) {
    const match = /^\s*rel\s*=\s*(?:"([^"]*)"|([^\s;]+))\s*$/i.exec(param);
    if (!match) continue;
    const rels = (match[1] ?? match[2] ?? '').toLowerCase().split(/\s+/);
    if (rels.includes('next')) return true;
  }
  return false;
}
