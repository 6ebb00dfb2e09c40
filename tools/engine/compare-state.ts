// The real engine's state after `pulumi up` against the offline synthesis of the same stack: the
// same resources (by URN) and, for every Kubernetes object the program creates, the same inputs.
// What the offline tools (render, check, diff, the cluster check) show is then what the engine does.
import type { SynthResource } from '../../infra/tools/model';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

/** A resource of `pulumi stack export` (the fields compared here). */
export interface StateResource {
  urn: string;
  type: string;
  custom?: boolean;
  /** Read with `Resource.get`, not created by the stack. */
  external?: boolean;
  inputs?: JsonObject;
}

/** How Pulumi writes a secret in exported state: a marker key next to the ciphertext or plaintext. */
const SECRET_SIGNATURE = '4dabf18193072939515e22adb298388d';
const MASK = '[secret]';

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Secrets masked on both sides, empty maps and lists dropped (one side may leave them out). */
function normalize(value: Json, secretPaths: ReadonlySet<string> = new Set(), at = ''): Json | undefined {
  if (secretPaths.has(at)) return MASK;
  if (Array.isArray(value)) {
    if (value.length === 0) return undefined;
    return value.map((item, i) => normalize(item, secretPaths, at === '' ? `${i}` : `${at}.${i}`) ?? null);
  }
  if (isObject(value)) {
    if (SECRET_SIGNATURE in value) return MASK;
    const out: JsonObject = {};
    for (const [key, child] of Object.entries(value)) {
      const normalized = normalize(child, secretPaths, at === '' ? key : `${at}.${key}`);
      if (normalized !== undefined) out[key] = normalized;
    }
    return Object.keys(out).length === 0 ? undefined : out;
  }
  return value;
}

/** Paths where two values differ; a masked secret on either side matches anything. */
export function differences(engine: Json | undefined, offline: Json | undefined, at = ''): string[] {
  if (engine === MASK || offline === MASK) return [];
  if (Array.isArray(engine) && Array.isArray(offline)) {
    const out: string[] = [];
    for (let i = 0; i < Math.max(engine.length, offline.length); i += 1)
      out.push(...differences(engine[i], offline[i], `${at}[${i}]`));
    return out;
  }
  if (isObject(engine) && isObject(offline)) {
    const out: string[] = [];
    for (const key of [...new Set([...Object.keys(engine), ...Object.keys(offline)])].sort())
      out.push(...differences(engine[key], offline[key], at === '' ? key : `${at}.${key}`));
    return out;
  }
  return JSON.stringify(engine) === JSON.stringify(offline)
    ? []
    : [`${at}: engine ${JSON.stringify(engine)} != offline ${JSON.stringify(offline)}`];
}

/**
 * The URN the engine gives each synthesized resource. The SDK's mock monitor (runtime/mocks.js
 * `newUrn`) prefixes only the nearest parent's type and keeps `pulumi:pulumi:Stack` there; the
 * engine qualifies a type with every ancestor's type but the stack's.
 */
export function engineUrns(
  resources: readonly Pick<SynthResource, 'urn' | 'type' | 'name' | 'parent'>[],
): Map<string, string> {
  const byUrn = new Map(resources.map((resource) => [resource.urn, resource]));
  const qualified = new Map<string, string>();
  const qualifiedType = (urn: string): string => {
    const known = qualified.get(urn);
    if (known !== undefined) return known;
    const resource = byUrn.get(urn);
    if (resource === undefined || resource.type === 'pulumi:pulumi:Stack') return '';
    const parent = resource.parent === undefined ? '' : qualifiedType(resource.parent);
    const type = parent === '' ? resource.type : `${parent}$${resource.type}`;
    qualified.set(urn, type);
    return type;
  };
  return new Map(
    resources.map((resource) => {
      // urn:pulumi:<stack>::<project>::<qualified type>::<name>
      const [stack, project] = resource.urn.split('::');
      const type = resource.type === 'pulumi:pulumi:Stack' ? resource.type : qualifiedType(resource.urn);
      return [resource.urn, `${stack}::${project}::${type}::${resource.name}`];
    }),
  );
}

/** Default providers are the engine's own; the program names its provider. */
const isDefaultProvider = (urn: string) => /::pulumi:providers:[^:]+::default(_|$)/.test(urn);

/** One line per difference; empty when the engine did exactly what the offline synthesis says. */
export function compareState(state: readonly StateResource[], offline: readonly SynthResource[]): string[] {
  const engine = new Map(state.filter((r) => !isDefaultProvider(r.urn)).map((r) => [r.urn, r]));
  const urns = engineUrns(offline);
  const synthesized = new Map(
    offline.filter((r) => !isDefaultProvider(r.urn)).map((r) => [urns.get(r.urn) as string, r]),
  );
  const problems: string[] = [];
  for (const urn of [...new Set([...engine.keys(), ...synthesized.keys()])].sort()) {
    const e = engine.get(urn);
    const o = synthesized.get(urn);
    const name = urn.split('::').slice(2).join('::');
    if (e === undefined) problems.push(`${name}: only in the offline synthesis`);
    else if (o === undefined) problems.push(`${name}: only in the engine's state`);
    else if (e.custom === true && e.external !== true && e.type.startsWith('kubernetes:'))
      for (const diff of differences(
        normalize(e.inputs ?? {}),
        normalize(o.inputs as JsonObject, new Set(o.secretPaths)),
      ))
        problems.push(`${name}: ${diff}`);
  }
  return problems;
}
