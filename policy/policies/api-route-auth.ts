import type { PolicyResource } from '@pulumi/policy';
import { defineStackPolicy } from '../lib/define';
import { findObject, k8sTypes, metadataOf, serviceSelects } from '../lib/k8s';
import { namedRole } from '../lib/roles';
import { pluginConfig, resolveMiddlewares } from '../lib/traefik';
import { asArray, asRecords, asString, at, isTrue, type PropertyBag } from '../lib/values';
import { workloadsOf } from '../lib/workloads';

/** Names (namespace/name) of the Services that front the API pods. */
function apiServices(resources: readonly PolicyResource[]): Set<string> {
  const apis = workloadsOf(resources).filter((workload) => workload.role === 'api');
  const names = new Set<string>();
  for (const service of resources.filter((r) => r.type === k8sTypes.service)) {
    const meta = metadataOf(service.props);
    const fronts =
      namedRole(service.props) === 'api' ||
      apis.some(
        (api) => api.meta.namespace === meta.namespace && serviceSelects(service.props, api.podLabels),
      );
    if (fronts && meta.name) names.add(`${meta.namespace}/${meta.name}`);
  }
  return names;
}

/** A route matching exactly the token endpoint (POST /oauth/token) and nothing else of the API. */
export function isTokenEndpoint(match: string): boolean {
  const paths = [...match.matchAll(/\b(Path|PathPrefix)\(`([^`]*)`\)/g)];
  return (
    paths.length === 1 && paths[0]?.[1] === 'Path' && paths[0]?.[2] === '/oauth/token' && !/\|\|/.test(match)
  );
}

function jwtProblems(config: PropertyBag): string[] {
  const problems: string[] = [];
  if (!isTrue(config.Required)) problems.push('Required is not true');
  const alg = asString(config.Alg)?.trim();
  if (!alg || alg.toLowerCase() === 'none') problems.push('Alg is not pinned');
  const payloadFields = asArray(config.PayloadFields).map((field) => asString(field));
  if (!payloadFields.includes('exp')) problems.push('PayloadFields does not include exp');
  if (asArray(config.Keys).length === 0) problems.push('no Keys to verify signatures');
  return problems;
}

export const apiRouteAuth = defineStackPolicy({
  name: 'api-route-auth',
  description:
    'The API is published through the gateway; every IngressRoute to it runs fail2ban and then the JWT middleware (Required, Alg pinned, exp checked), except the token endpoint, which gets fail2ban and a rate limit.',
  control: 'api-gateway',
  remediation:
    'List the fail2ban Middleware before the JWT Middleware (Required, Alg: ES256, PayloadFields [exp]) on every API route.',
  validateStack: (args, reportViolation) => {
    const services = apiServices(args.resources);
    const routed = new Set<string>();
    for (const route of args.resources.filter((r) => r.type === k8sTypes.ingressRoute)) {
      const meta = metadataOf(route.props);
      const label = `IngressRoute ${meta.namespace}/${meta.name ?? route.name}`;
      for (const [index, rule] of asRecords(at(route.props, 'spec', 'routes')).entries()) {
        const targets = asRecords(rule.services)
          .map((service) => `${asString(service.namespace) ?? meta.namespace}/${asString(service.name)}`)
          .filter((target) => services.has(target));
        if (targets.length === 0) continue;
        targets.forEach((target) => routed.add(target));
        const where = `${label} route ${index} (${asString(rule.match) ?? 'no match'})`;
        const { middlewares, missing } = resolveMiddlewares(args.resources, rule.middlewares, meta.namespace);
        for (const name of missing)
          reportViolation(`${where}: Middleware ${name} is not declared`, route.urn);
        const jwtIndex = middlewares.findIndex((m) => pluginConfig(m, /jwt/i) !== undefined);
        const banIndex = middlewares.findIndex((m) => pluginConfig(m, /fail2ban/i) !== undefined);
        const jwt = middlewares[jwtIndex];
        if (isTokenEndpoint(asString(rule.match) ?? '')) {
          // Clients get their token here with HTTP Basic, so no JWT can be required; limit guessing instead.
          if (!middlewares.some((m) => m.spec.rateLimit !== undefined)) {
            reportViolation(`${where}: the token endpoint has no rateLimit middleware`, route.urn);
          }
        } else if (!jwt) reportViolation(`${where}: no JWT middleware`, route.urn);
        else {
          const problems = jwtProblems(pluginConfig(jwt, /jwt/i) ?? {});
          if (problems.length > 0)
            reportViolation(`${where}: JWT middleware ${jwt.name}: ${problems.join('; ')}`, route.urn);
        }
        if (banIndex < 0) reportViolation(`${where}: no fail2ban middleware`, route.urn);
        else if (jwtIndex >= 0 && banIndex > jwtIndex) {
          reportViolation(`${where}: fail2ban runs after JWT, so it never sees rejected tokens`, route.urn);
        }
      }
    }
    for (const service of services) {
      if (!routed.has(service)) {
        const [namespace, name] = service.split('/');
        const urn = findObject(args.resources, k8sTypes.service, name, namespace)?.urn;
        reportViolation(`Service ${service} is not published through a gateway IngressRoute`, urn);
      }
    }
  },
});
