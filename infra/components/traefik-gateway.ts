// The API's edge: Traefik plugins, middlewares, TLS options, certificates, routes and the upstream transport.
import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';
import { ControlTrail, appLabels } from '../lib/labels';
import type { StackContext } from '../lib/workload';
import type { ControlId } from '@secure-workshop/contracts';
import {
  DEFAULT_FAIL2BAN,
  DEFAULT_RATE_LIMIT,
  MIDDLEWARES,
  TOKEN_RATE_LIMIT,
  fail2banSpec,
  middlewareChain,
  ingressRouteSpec,
  jwtSpec,
  rateLimitSpec,
  secureHeadersSpec,
  serversTransportSpec,
  stripIdentityHeadersSpec,
  tlsOptionSpec,
  type Fail2banRules,
  type RateLimit,
} from './gateway/traefik-config';

export const TRAEFIK_API_VERSION = 'traefik.io/v1alpha1';

export interface TraefikGatewayArgs {
  /** The stack: every route and middleware lives in its namespace. */
  context: StackContext;
  provider: k8s.Provider;
  /** Public host name of the API at the gateway, e.g. `api.end.workshop.test` (cert-manager names never use localhost). */
  host: string;
  jwtPublicKeyPem: pulumi.Input<string>;
  jwtAudience: string;
  /** Issues the ingress (and gateway client) certificates: the stack's CertificateAuthority. */
  certificates: GatewayCertificateIssuer;
  apiService?: { name: string; port: number };
  /** Name in the API's server certificate that Traefik verifies; defaults to `<service>.<namespace>.svc`. */
  apiServerName?: string;
  fail2ban?: Fail2banRules;
  rateLimit?: RateLimit;
  /** Route POST /oauth/token without the JWT middleware (clients authenticate with HTTP Basic). */
  exposeTokenEndpoint?: boolean;
  /** The add-ons this relies on (cluster-addons.ts): cert-manager's CRDs, k3s's Traefik plugin configuration. */
  addons?: pulumi.Resource[];
}

export interface GatewayObjectNames {
  tlsOption: string;
  serversTransport: string;
  ingressCertificateSecret: string;
  clientCertificateSecret: string;
}

export const GATEWAY_NAMES: GatewayObjectNames = {
  tlsOption: 'tls-modern',
  serversTransport: 'api-upstream',
  ingressCertificateSecret: 'api-gateway-tls',
  clientCertificateSecret: 'api-gateway-client-tls',
};

export function checkTraefikGatewayArgs(args: TraefikGatewayArgs): void {
  if (!args.context.controls.has('api-gateway'))
    throw new Error('TraefikGateway needs the api-gateway control');
  if (!args.host) throw new Error('TraefikGateway needs a host name');
}

/** What the gateway needs from the CertificateAuthority component (structurally its `certificate`). */
export interface GatewayCertificateIssuer {
  certificate(
    resourceName: string,
    request: {
      secretName: string;
      dnsNames: string[];
      usage: 'server' | 'client';
      commonName?: string;
      app: string;
      controls: ControlId[];
    },
    parent: pulumi.Resource,
  ): pulumi.Resource;
}

export class TraefikGateway extends pulumi.ComponentResource {
  public readonly url: pulumi.Output<string>;
  public readonly ingressRouteName: pulumi.Output<string>;
  public readonly middlewareChain: pulumi.Output<string[]>;

  constructor(name: string, args: TraefikGatewayArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super('secure-workshop:index:TraefikGateway', name, {}, opts);
    checkTraefikGatewayArgs(args);
    const { context } = args;
    const namespace = context.namespace;
    const api = args.apiService ?? { name: 'api', port: 443 };
    const mtls = context.controls.has('mtls-internal');
    const labels = appLabels('api-gateway', context.stack);
    const childOpts: pulumi.CustomResourceOptions = { parent: this, provider: args.provider };
    const addons = args.addons ?? [];
    const annotate = (...extra: ControlId[]) =>
      new ControlTrail(context.controls).record('api-gateway', ...extra).annotations();

    interface ObjectOptions {
      controls?: ControlId[];
      apiVersion?: string;
      dependsOn?: pulumi.Resource[];
    }
    const custom = (
      part: string,
      kind: string,
      objectName: string,
      spec: pulumi.Input<Record<string, unknown>>,
      options: ObjectOptions = {},
    ) =>
      new k8s.apiextensions.CustomResource(
        `${name}-${part}`,
        {
          apiVersion: options.apiVersion ?? TRAEFIK_API_VERSION,
          kind,
          metadata: {
            name: objectName,
            namespace: context.namespaceRef ?? namespace,
            labels,
            annotations: annotate(...(options.controls ?? [])),
          },
          spec,
        },
        { ...childOpts, dependsOn: [...addons, ...(options.dependsOn ?? [])] },
      );

    custom('fail2ban', 'Middleware', MIDDLEWARES.fail2ban, fail2banSpec(args.fail2ban ?? DEFAULT_FAIL2BAN));
    custom(
      'strip-identity-headers',
      'Middleware',
      MIDDLEWARES.stripIdentityHeaders,
      stripIdentityHeadersSpec(),
    );
    custom(
      'rate-limit',
      'Middleware',
      MIDDLEWARES.rateLimit,
      rateLimitSpec(args.rateLimit ?? DEFAULT_RATE_LIMIT),
    );
    custom(
      'jwt',
      'Middleware',
      MIDDLEWARES.jwt,
      pulumi
        .output(args.jwtPublicKeyPem)
        .apply((pem) => jwtSpec({ publicKeyPem: pem, audience: args.jwtAudience })),
      { controls: ['authn-jwt'] },
    );
    custom('secure-headers', 'Middleware', MIDDLEWARES.secureHeaders, secureHeadersSpec(), {
      controls: ['security-headers'],
    });
    custom('tls-option', 'TLSOption', GATEWAY_NAMES.tlsOption, tlsOptionSpec(), {
      controls: ['tls-in-transit'],
    });

    const ingressCertificate = args.certificates.certificate(
      `${name}-ingress-certificate`,
      {
        secretName: GATEWAY_NAMES.ingressCertificateSecret,
        dnsNames: [args.host],
        usage: 'server',
        app: 'api-gateway',
        controls: ['api-gateway', 'tls-in-transit'],
      },
      this,
    );
    const certificates: pulumi.Resource[] = [ingressCertificate];
    if (mtls) {
      certificates.push(
        args.certificates.certificate(
          `${name}-client-certificate`,
          {
            secretName: GATEWAY_NAMES.clientCertificateSecret,
            dnsNames: [],
            usage: 'client',
            commonName: 'api-gateway',
            app: 'api-gateway',
            controls: ['api-gateway', 'mtls-internal'],
          },
          this,
        ),
      );
    }

    custom(
      'servers-transport',
      'ServersTransport',
      GATEWAY_NAMES.serversTransport,
      serversTransportSpec({
        serverName: args.apiServerName ?? `${api.name}.${namespace}.svc`,
        // cert-manager's CA issuer writes the CA certificate as ca.crt next to every leaf.
        caSecretName: GATEWAY_NAMES.ingressCertificateSecret,
        ...(mtls ? { clientCertificateSecretName: GATEWAY_NAMES.clientCertificateSecret } : {}),
      }),
      { controls: mtls ? ['tls-in-transit', 'mtls-internal'] : ['tls-in-transit'], dependsOn: certificates },
    );

    const route = (kind: 'api' | 'token') =>
      ingressRouteSpec({
        host: args.host,
        namespace,
        service: api.name,
        servicePort: api.port,
        serversTransport: GATEWAY_NAMES.serversTransport,
        tlsSecretName: GATEWAY_NAMES.ingressCertificateSecret,
        tlsOption: GATEWAY_NAMES.tlsOption,
        route: kind,
      });
    const apiRoute = custom('ingress-route', 'IngressRoute', 'api', route('api'), {
      controls: ['authn-jwt', 'tls-in-transit'],
    });
    if (args.exposeTokenEndpoint ?? true) {
      custom('rate-limit-token', 'Middleware', MIDDLEWARES.tokenRateLimit, rateLimitSpec(TOKEN_RATE_LIMIT));
      // No waiver: api-route-auth itself requires fail2ban and a rate limit (no JWT) on the token route.
      custom('token-route', 'IngressRoute', 'api-token', route('token'), { controls: ['tls-in-transit'] });
    }

    this.url = pulumi.output(`https://${args.host}`);
    this.ingressRouteName = apiRoute.metadata.name;
    this.middlewareChain = pulumi.output(middlewareChain('api'));
    this.registerOutputs({
      url: this.url,
      ingressRouteName: this.ingressRouteName,
      middlewareChain: this.middlewareChain,
    });
  }
}
