import type { PolicyResource } from '@pulumi/policy';
import { parse as parseYaml } from 'yaml';
import { findObject, k8sTypes, metadataOf } from './k8s';
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

export interface TraefikValuesSource {
  urn: string;
  label: string;
  /** Helm values of the Traefik chart, or an error when they do not parse. */
  values: PropertyBag | Error;
}

const helmChartConfig = 'kubernetes:helm.cattle.io/v1:HelmChartConfig';

/** Traefik chart values the program sets: k3s's HelmChartConfig `traefik`, or its own Traefik release. */
export function traefikValues(resource: {
  type: string;
  urn: string;
  name: string;
  props: PropertyBag;
}): TraefikValuesSource | undefined {
  if (resource.type === helmChartConfig && metadataOf(resource.props).name === 'traefik') {
    const label = `HelmChartConfig ${metadataOf(resource.props).namespace}/traefik`;
    try {
      const parsed: unknown = parseYaml(asString(at(resource.props, 'spec', 'valuesContent')) ?? '');
      return { urn: resource.urn, label, values: asRecord(parsed) ?? {} };
    } catch (error) {
      return { urn: resource.urn, label, values: error instanceof Error ? error : new Error(String(error)) };
    }
  }
  if (resource.type === k8sTypes.helmRelease && asString(resource.props.chart) === 'traefik') {
    return {
      urn: resource.urn,
      label: `Helm release ${resource.name}`,
      values: asRecord(resource.props.values) ?? {},
    };
  }
  return undefined;
}
