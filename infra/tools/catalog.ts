import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { isRecord, UsageError } from './model';
import { REPO_ROOT } from './synth';

/** One control as the tools need it, read from the program's catalog (infra/stacks/controls.ts). */
export interface CatalogControl {
  id: string;
  owasp: string;
  title: string;
  why: string;
  requires: string[];
}

const OWASP_ORDER = ['A01', 'A02', 'A03', 'A04', 'A05', 'A06', 'A07', 'A08', 'A09', 'A10'];

function firstString(entry: Record<string, unknown>, keys: readonly string[]): string | undefined {
  for (const key of keys) if (typeof entry[key] === 'string') return entry[key];
  return undefined;
}

function toControl(entry: unknown, fallbackId?: string): CatalogControl | undefined {
  if (!isRecord(entry)) return undefined;
  const id = firstString(entry, ['id']) ?? fallbackId;
  const why = firstString(entry, ['why', 'rationale', 'description']);
  if (id === undefined || why === undefined) return undefined;
  const owaspRaw = firstString(entry, ['owasp', 'owaspCategory', 'category']) ?? '';
  const requires = Array.isArray(entry.requires) ? entry.requires.map(String) : [];
  return {
    id,
    // Keep only the code ("A02:2021 Cryptographic Failures" -> "A02") so categories group and sort.
    owasp: /A\d\d/.exec(owaspRaw)?.[0] ?? (owaspRaw || 'other'),
    title: firstString(entry, ['title', 'name']) ?? id,
    why,
    requires,
  };
}

function controlsIn(value: unknown): CatalogControl[] {
  if (Array.isArray(value))
    return value.map((entry) => toControl(entry)).filter((c): c is CatalogControl => !!c);
  if (isRecord(value))
    return Object.entries(value)
      .map(([id, entry]) => toControl(entry, id))
      .filter((c): c is CatalogControl => !!c);
  return [];
}

/** Finds the catalog among the module's exports: the largest list (or id-keyed record) of controls. */
export async function loadCatalog(root = REPO_ROOT): Promise<CatalogControl[]> {
  const file = path.join(root, 'infra', 'stacks', 'controls.ts');
  if (!existsSync(file)) throw new UsageError(`control catalog not found: ${file}`);
  const module = (await import(file)) as Record<string, unknown>;
  const exports = [
    ...Object.values(module),
    ...(isRecord(module.default) ? Object.values(module.default) : []),
  ];
  const best = exports.map(controlsIn).sort((a, b) => b.length - a.length)[0] ?? [];
  if (best.length === 0) throw new UsageError(`no controls found in ${file}`);
  return best;
}

export function owaspRank(category: string): number {
  const index = OWASP_ORDER.indexOf(category);
  return index === -1 ? OWASP_ORDER.length : index;
}

/** Throws a one-line UsageError naming the valid ids when a control is unknown. */
export function validateControls(ids: readonly string[], catalog: readonly CatalogControl[]): void {
  const known = new Set(catalog.map((control) => control.id));
  const unknown = ids.filter((id) => !known.has(id));
  if (unknown.length > 0) {
    throw new UsageError(
      `unknown control${unknown.length > 1 ? 's' : ''} ${unknown.map((id) => `'${id}'`).join(', ')} (valid: ${[...known].join(', ')})`,
    );
  }
}
