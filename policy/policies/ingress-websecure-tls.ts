import { defineStackPolicy } from '../lib/define';
import { findObject, k8sTypes, metadataOf } from '../lib/k8s';
import { resolveMiddlewares, traefikValues } from '../lib/traefik';
import { asArray, asRecord, asRecords, asString, at, isTrue } from '../lib/values';

const modernVersions = ['VersionTLS12', 'VersionTLS13'];

export const ingressWebsecureTls = defineStackPolicy({
  name: 'ingress-websecure-tls',
  description:
    'Ingress routes listen on websecure only (Traefik redirects web to it), terminate TLS with a TLSOption of minVersion TLS 1.2+, and verify upstreams against our CA.',
  control: 'api-gateway',
  remediation:
    'Set entryPoints: [websecure], tls.secretName from the ingress Certificate, tls.options naming a TLSOption with minVersion VersionTLS12, and a ServersTransport with rootCAs (Traefik v3; rootCAsSecrets is deprecated).',
  validateStack: (args, reportViolation) => {
    for (const route of args.resources.filter((r) => r.type === k8sTypes.ingressRoute)) {
      const meta = metadataOf(route.props);
      const label = `IngressRoute ${meta.namespace}/${meta.name ?? route.name}`;
      const routes = asRecords(at(route.props, 'spec', 'routes'));
      // An HTTP route that only redirects to HTTPS carries no data.
      const redirectsOnly =
        routes.length > 0 &&
        routes.every((r) =>
          resolveMiddlewares(args.resources, r.middlewares, meta.namespace).middlewares.some(
            (m) => asString(at(m.spec, 'redirectScheme', 'scheme')) === 'https',
          ),
        );
      if (redirectsOnly) continue;
      const entryPoints = asArray(at(route.props, 'spec', 'entryPoints')).map((e) => asString(e));
      if (entryPoints.length === 0 || entryPoints.some((e) => e !== 'websecure')) {
        reportViolation(
          `${label}: entryPoints are [${entryPoints.join(', ')}], expected [websecure] only`,
          route.urn,
        );
      }
      const tls = asRecord(at(route.props, 'spec', 'tls'));
      if (!tls) {
        reportViolation(
          `${label}: no tls section, so Traefik serves it without a certificate of ours`,
          route.urn,
        );
        continue;
      }
      const optionName = asString(at(tls, 'options', 'name'));
      const optionNamespace = asString(at(tls, 'options', 'namespace')) ?? meta.namespace;
      const option = findObject(args.resources, k8sTypes.tlsOption, optionName, optionNamespace);
      if (!option) {
        reportViolation(
          `${label}: tls.options ${optionName ? `"${optionNamespace}/${optionName}" is not declared` : 'is missing'}; Traefik would fall back to its defaults`,
          route.urn,
        );
        continue;
      }
      const minVersion = asString(at(option.props, 'spec', 'minVersion'));
      if (!minVersion || !modernVersions.includes(minVersion)) {
        reportViolation(
          `${label}: TLSOption ${optionName} has minVersion ${minVersion ?? 'unset'}, expected TLS 1.2+`,
          route.urn,
        );
      }
    }
    for (const source of args.resources.flatMap((r) => traefikValues(r) ?? [])) {
      if (source.values instanceof Error) {
        reportViolation(`${source.label}: values do not parse (${source.values.message})`, source.urn);
        continue;
      }
      // Chart v34+ (v40 as k3s 1.36 bundles it) spells it ports.web.http.redirections.entryPoint.to;
      // the old redirectTo is ignored without a word by k3s's package, so it no longer counts.
      const redirect = at(source.values, 'ports', 'web', 'http', 'redirections', 'entryPoint');
      if (asString(at(redirect, 'to')) !== 'websecure' || asString(at(redirect, 'scheme')) !== 'https') {
        reportViolation(`${source.label}: the web entry point does not redirect to websecure`, source.urn);
      }
    }
    for (const transport of args.resources.filter((r) => r.type === k8sTypes.serversTransport)) {
      const meta = metadataOf(transport.props);
      const label = `ServersTransport ${meta.namespace}/${meta.name ?? transport.name}`;
      if (isTrue(at(transport.props, 'spec', 'insecureSkipVerify'))) {
        reportViolation(
          `${label}: insecureSkipVerify lets the gateway talk to any upstream certificate`,
          transport.urn,
        );
      } else if (asArray(at(transport.props, 'spec', 'rootCAs')).length === 0) {
        reportViolation(`${label}: no rootCAs, so upstreams are not checked against our CA`, transport.urn);
      }
    }
    for (const ingress of args.resources.filter((r) => r.type === k8sTypes.ingress)) {
      const meta = metadataOf(ingress.props);
      if (asArray(at(ingress.props, 'spec', 'tls')).length === 0) {
        reportViolation(
          `Ingress ${meta.namespace}/${meta.name ?? ingress.name}: no tls section`,
          ingress.urn,
        );
      }
    }
  },
});
