// Compares the Kubernetes objects the real engine rendered (renderYamlToDirectory) with the offline
// render tool's output (`npm run render -- <stack> --out <dir>`), object by object.
//
// usage: tsx tools/engine/compare-render.ts <engine-dir> <render-dir>
// Exit 0 when they agree, 1 with one line per difference otherwise, 2 on bad input.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { parseAllDocuments } from 'yaml';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

// The offline tool masks secrets as [secret] and generated values as [generated <name>.<path>].
const MASKED = /\[secret\]|\[generated [^\]]*\]/;

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function yamlFiles(dir: string): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(dir)) {
    const full = path.join(dir, entry);
    if (statSync(full).isDirectory()) files.push(...yamlFiles(full));
    else if (/\.ya?ml$/.test(entry)) files.push(full);
  }
  return files.sort();
}

/** Objects keyed `Kind namespace/name`; HelmRelease entries of the offline tool have no engine twin. */
export function loadObjects(dir: string): Map<string, JsonObject> {
  const objects = new Map<string, JsonObject>();
  for (const file of yamlFiles(dir)) {
    for (const doc of parseAllDocuments(readFileSync(file, 'utf8'))) {
      if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors[0]?.message}`);
      const body: unknown = doc.toJS();
      if (!isObject(body) || typeof body.kind !== 'string' || body.kind === 'HelmRelease') continue;
      const metadata = isObject(body.metadata) ? body.metadata : {};
      const key = `${body.kind} ${String(metadata.namespace ?? 'cluster')}/${String(metadata.name ?? '?')}`;
      if (objects.has(key)) throw new Error(`${file}: duplicate object ${key}`);
      objects.set(key, body);
    }
  }
  return objects;
}

/** Drops what only one side writes: empty maps and lists, and Secret values (compared by key only). */
function normalize(body: JsonObject): JsonObject {
  const copy = structuredClone(body);
  if (copy.kind === 'Secret') {
    const keys = new Set<string>();
    for (const field of ['data', 'stringData']) {
      const values = copy[field];
      if (isObject(values)) for (const key of Object.keys(values)) keys.add(key);
      delete copy[field];
    }
    copy.secretKeys = [...keys].sort();
  }
  const prune = (value: Json): Json | undefined => {
    if (Array.isArray(value))
      return value.length === 0 ? undefined : value.map((item) => prune(item) ?? null);
    if (isObject(value)) {
      const out: JsonObject = {};
      for (const [key, child] of Object.entries(value)) {
        const pruned = prune(child);
        if (pruned !== undefined) out[key] = pruned;
      }
      return Object.keys(out).length === 0 ? undefined : out;
    }
    return value;
  };
  return (prune(copy) as JsonObject | undefined) ?? {};
}

/** Paths where two values differ, ignoring values the offline side masked. */
export function differences(a: Json | undefined, b: Json | undefined, at = ''): string[] {
  if (typeof b === 'string' && MASKED.test(b)) return [];
  if (typeof a === 'string' && MASKED.test(a)) return [];
  if (Array.isArray(a) && Array.isArray(b)) {
    const out: string[] = [];
    for (let i = 0; i < Math.max(a.length, b.length); i += 1)
      out.push(...differences(a[i], b[i], `${at}[${i}]`));
    return out;
  }
  if (isObject(a) && isObject(b)) {
    const out: string[] = [];
    for (const key of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort())
      out.push(...differences(a[key], b[key], at === '' ? key : `${at}.${key}`));
    return out;
  }
  // YAML may print a number or boolean where the other side has the same text as a string.
  if (a !== undefined && b !== undefined && String(a) === String(b)) return [];
  return a === b ? [] : [`${at}: engine ${JSON.stringify(a)} != render ${JSON.stringify(b)}`];
}

export function compareDirs(engineDir: string, renderDir: string): string[] {
  const engine = loadObjects(engineDir);
  const render = loadObjects(renderDir);
  const problems: string[] = [];
  for (const key of [...new Set([...engine.keys(), ...render.keys()])].sort()) {
    const e = engine.get(key);
    const r = render.get(key);
    if (e === undefined) problems.push(`${key}: only in the offline render`);
    else if (r === undefined) problems.push(`${key}: only in the engine's output`);
    else for (const diff of differences(normalize(e), normalize(r))) problems.push(`${key}: ${diff}`);
  }
  return problems;
}

function main(args: string[]): number {
  if (args.length !== 2) {
    console.error('usage: compare-render.ts <engine-dir> <render-dir>');
    return 2;
  }
  const [engineDir, renderDir] = args as [string, string];
  let problems: string[];
  try {
    problems = compareDirs(engineDir, renderDir);
  } catch (error) {
    console.error(`error: ${error instanceof Error ? error.message : String(error)}`);
    return 2;
  }
  const count = loadObjects(engineDir).size;
  for (const line of problems) console.log(line);
  console.log(
    problems.length === 0
      ? `compare-render: ${count} objects agree`
      : `compare-render: ${problems.length} differences`,
  );
  return problems.length === 0 ? 0 : 1;
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
