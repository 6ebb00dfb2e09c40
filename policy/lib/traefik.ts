import type { PolicyResource } from '@pulumi/policy';
import { findObject, k8sTypes } from './k8s';
import { asRecord, asRecords, asString, at, type PropertyBag } from './values';

export interface MiddlewareView {
  name: string;
  namespace: string;
  spec: PropertyBag;
}

/** Middlewares a route runs, in order, with Chain middlewares expanded; unknown references are named. */
export function resolveMiddlewares(
  resources: readonly PolicyResource[],
  refs: unknown,
  namespace: string,
  seen: Set<string> = new Set(),
): { middlewares: MiddlewareView[]; missing: string[] } {
  const middlewares: MiddlewareView[] = [];
  const missing: string[] = [];
  for (const ref of asRecords(refs)) {
    const name = asString(ref.name) ?? '';
    const refNamespace = asString(ref.namespace) ?? namespace;
    const key = `${refNamespace}/${name}`;
    const found = findObject(resources, k8sTypes.middleware, name, refNamespace);
    if (!found) {
      missing.push(key);
      continue;
    }
    const spec = asRecord(found.props.spec) ?? {};
    middlewares.push({ name, namespace: refNamespace, spec });
    const chain = at(spec, 'chain', 'middlewares');
    if (chain !== undefined && !seen.has(key)) {
      const nested = resolveMiddlewares(resources, chain, refNamespace, new Set([...seen, key]));
      middlewares.push(...nested.middlewares);
      missing.push(...nested.missing);
    }
  }
  return { middlewares, missing };
}

/** Config of the plugin whose name matches, e.g. /jwt/i, if the middleware is such a plugin. */
export function pluginConfig(middleware: MiddlewareView, pattern: RegExp): PropertyBag | undefined {
  const plugins = asRecord(middleware.spec.plugin);
  if (!plugins) return undefined;
  const entry = Object.entries(plugins).find(([name]) => pattern.test(name));
  return entry ? (asRecord(entry[1]) ?? {}) : undefined;
}
