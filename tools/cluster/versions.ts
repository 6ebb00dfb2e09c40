// tools/cluster/versions.env as a record: the one place the cluster's versions are pinned.
import { readFileSync } from 'node:fs';
import * as path from 'node:path';

/** `NAME=value` lines; `#` lines are comments. */
export function parseVersions(text: string): Record<string, string> {
  const versions: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const match = /^([A-Z][A-Z0-9_]*)=(\S+)$/.exec(trimmed);
    if (match === null) throw new Error(`versions.env: not a NAME=value line: ${trimmed}`);
    versions[match[1] as string] = match[2] as string;
  }
  return versions;
}

export function readVersions(file = path.join(__dirname, 'versions.env')): Record<string, string> {
  return parseVersions(readFileSync(file, 'utf8'));
}
