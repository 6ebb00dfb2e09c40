// Pure builders for the Traefik edge: static values (plugins, logs, metrics) and dynamic CRD specs.
import { stringify } from 'yaml';

/** Plugin names as Middlewares reference them (`spec.plugin.<name>`) and versions pinned like images. */
export const TRAEFIK_PLUGINS = {
  jwt: {
    moduleName: 'github.com/traefik-plugins/traefik-jwt-plugin',
    // v0.10.0 is the first release that checks `aud` (Aud option + "aud" in PayloadFields).
    version: 'v0.10.0',
  },
  fail2ban: {
    moduleName: 'github.com/tomMoulard/fail2ban',
    // v0.9.0 logs bans as JSON; up to v0.8.9 the status-code path printed response bodies to stdout.
    // Tested upstream with yaegi v0.16.1, the interpreter of Traefik 2.11.
    version: 'v0.9.0',
  },
} as const;

export type PluginName = keyof typeof TRAEFIK_PLUGINS;

/** k3s v1.31 bundles Traefik 2.11 from chart 27; the same chart when we install Traefik ourselves. */
export const TRAEFIK_CHART = {
  chart: 'traefik',
  version: '27.0.2',
  repo: 'https://traefik.github.io/charts',
} as const;

export const METRICS_PORT = 9100;

/** Headers a client could send to impersonate an upstream authenticator; the gateway deletes them. */
export const CLIENT_IDENTITY_HEADERS = [
  'X-Forwarded-User',
  'X-Forwarded-Email',
  'X-Forwarded-Groups',
  'X-Forwarded-Preferred-Username',
  'X-Forwarded-Access-Token',
  'X-User',
  'X-User-Id',
  'X-Remote-User',
  'X-Auth-Request-User',
  'X-Auth-Request-Email',
  'X-Auth-Request-Groups',
  'X-Auth-Request-Preferred-Username',
  'X-Auth-Request-Access-Token',
  'X-Client-Cert',
  'X-Forwarded-Client-Cert',
  'X-Forwarded-Tls-Client-Cert',
  'X-Forwarded-Tls-Client-Cert-Info',
  'X-Ssl-Client-Cert',
  'X-Ssl-Client-Verify',
  'X-Ssl-Client-Dn',
  'X-Jwt-Payload',
  'X-Scopes',
] as const;

/** Static configuration for Traefik's Helm chart (27.x value names), as values and as a HelmChartConfig body. */
export function traefikValues(
  options: { serviceType?: 'LoadBalancer' | 'ClusterIP' } = {},
): Record<string, unknown> {
  return {
    experimental: { plugins: TRAEFIK_PLUGINS },
    logs: {
      general: { level: 'INFO', format: 'json' },
      access: {
        enabled: true,
        format: 'json',
        fields: {
          general: { defaultmode: 'keep' },
          // Never write Authorization or cookies to the log; keep only what incident review needs.
          headers: { defaultmode: 'drop', names: { 'User-Agent': 'keep', 'X-Request-Id': 'keep' } },
        },
      },
    },
    metrics: {
      prometheus: {
        entryPoint: 'metrics',
        addEntryPointsLabels: true,
        addRoutersLabels: true,
        addServicesLabels: true,
        service: { enabled: true },
      },
    },
    ports: {
      web: { redirectTo: { port: 'websecure' } },
      websecure: { tls: { enabled: true } },
      metrics: { port: METRICS_PORT, expose: { default: false } },
    },
    providers: { kubernetesCRD: { allowCrossNamespace: false }, kubernetesIngress: { enabled: true } },
    globalArguments: ['--global.checknewversion=false', '--global.sendanonymoususage=false'],
    ...(options.serviceType ? { service: { type: options.serviceType } } : {}),
  };
}

/** `spec.valuesContent` of k3s's HelmChartConfig: the chart values as YAML. */
export function traefikValuesContent(): string {
  return stringify(traefikValues());
}

export interface Fail2banRules {
  bantime: string;
  findtime: string;
  maxretry: number;
  /** Status codes that count as a failure. */
  statuscode: string;
}

export const DEFAULT_FAIL2BAN: Fail2banRules = {
  bantime: '15m',
  findtime: '5m',
  maxretry: 20,
  statuscode: '401,403,429',
};

export function fail2banSpec(rules: Fail2banRules = DEFAULT_FAIL2BAN): Record<string, unknown> {
  if (!/^\d+[smh]$/.test(rules.bantime) || !/^\d+[smh]$/.test(rules.findtime)) {
    throw new Error('fail2ban bantime and findtime must look like "15m", "30s" or "1h"');
  }
  if (!Number.isInteger(rules.maxretry) || rules.maxretry < 1)
    throw new Error('fail2ban maxretry must be >= 1');
  return { plugin: { fail2ban: { rules: { enabled: true, ...rules } } } };
}

export function stripIdentityHeadersSpec(): Record<string, unknown> {
  // An empty value makes Traefik remove the header from the request.
  return {
    headers: { customRequestHeaders: Object.fromEntries(CLIENT_IDENTITY_HEADERS.map((h) => [h, ''])) },
  };
}

export interface RateLimit {
  average: number;
  burst: number;
  period: string;
}

export const DEFAULT_RATE_LIMIT: RateLimit = { average: 50, burst: 100, period: '1s' };
export const TOKEN_RATE_LIMIT: RateLimit = { average: 5, burst: 10, period: '1s' };

export function rateLimitSpec(limit: RateLimit): Record<string, unknown> {
  if (limit.average < 1 || limit.burst < limit.average)
    throw new Error('rate limit needs average >= 1 and burst >= average');
  return { rateLimit: { ...limit } };
}

export interface JwtOptions {
  publicKeyPem: string;
  audience: string;
}

/** The JWT plugin's options (field names as the plugin's Config struct spells them). */
export function jwtSpec(options: JwtOptions): Record<string, unknown> {
  if (!options.publicKeyPem.includes('BEGIN PUBLIC KEY'))
    throw new Error('the JWT middleware needs a PEM public key');
  if (!options.audience) throw new Error('the JWT middleware needs an audience');
  return {
    plugin: {
      jwt: {
        Required: true,
        Alg: 'ES256',
        // "exp" is checked against the clock; "aud" is compared with Aud.
        PayloadFields: ['exp', 'aud'],
        Aud: options.audience,
        Keys: [options.publicKeyPem],
        JwtSources: [{ type: 'bearer', key: 'Authorization' }],
      },
    },
  };
}

export function secureHeadersSpec(): Record<string, unknown> {
  return {
    headers: {
      stsSeconds: 31_536_000,
      stsIncludeSubdomains: true,
      forceSTSHeader: true,
      contentTypeNosniff: true,
      frameDeny: true,
      referrerPolicy: 'no-referrer',
      contentSecurityPolicy: "default-src 'none'; frame-ancestors 'none'",
      permissionsPolicy: 'camera=(), microphone=(), geolocation=()',
      customResponseHeaders: { Server: '', 'X-Powered-By': '' },
    },
  };
}

/** TLS 1.2+ with forward-secret AEAD suites only (TLS 1.3 suites are not configurable in Go). */
export function tlsOptionSpec(): Record<string, unknown> {
  return {
    minVersion: 'VersionTLS12',
    sniStrict: true,
    cipherSuites: [
      'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384',
      'TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305',
      'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256',
      'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384',
      'TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305',
      'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256',
    ],
    curvePreferences: ['X25519', 'CurveP256', 'CurveP384'],
  };
}

/** Middleware object names in this stack's namespace. */
export const MIDDLEWARES = {
  fail2ban: 'fail2ban',
  stripIdentityHeaders: 'strip-identity-headers',
  rateLimit: 'rate-limit',
  tokenRateLimit: 'rate-limit-token',
  jwt: 'jwt',
  secureHeaders: 'secure-headers',
} as const;

export type MiddlewareName = (typeof MIDDLEWARES)[keyof typeof MIDDLEWARES];

/**
 * The order requests pass the middlewares: fail2ban outermost so it sees every 401/403/429 the inner
 * ones answer, forged identity headers gone before anything reads them, the rate limit before the
 * costlier signature check, the JWT check, and response headers added last.
 */
export function middlewareChain(route: 'api' | 'token'): MiddlewareName[] {
  if (route === 'token') {
    // The token endpoint authenticates clients itself (HTTP Basic); a JWT cannot be required to get one.
    return [
      MIDDLEWARES.fail2ban,
      MIDDLEWARES.stripIdentityHeaders,
      MIDDLEWARES.tokenRateLimit,
      MIDDLEWARES.secureHeaders,
    ];
  }
  return [
    MIDDLEWARES.fail2ban,
    MIDDLEWARES.stripIdentityHeaders,
    MIDDLEWARES.rateLimit,
    MIDDLEWARES.jwt,
    MIDDLEWARES.secureHeaders,
  ];
}

export interface RouteOptions {
  host: string;
  namespace: string;
  service: string;
  servicePort: number;
  serversTransport: string;
  tlsSecretName: string;
  tlsOption: string;
  route: 'api' | 'token';
}

export const TOKEN_PATH = '/oauth/token';

export function ingressRouteSpec(options: RouteOptions): Record<string, unknown> {
  if (!/^[a-z0-9.-]+$/.test(options.host)) throw new Error(`gateway host is not a DNS name: ${options.host}`);
  const hostMatch = `Host(\`${options.host}\`)`;
  const match =
    options.route === 'token' ? `${hostMatch} && Path(\`${TOKEN_PATH}\`) && Method(\`POST\`)` : hostMatch;
  return {
    entryPoints: ['websecure'],
    routes: [
      {
        kind: 'Rule',
        match,
        middlewares: middlewareChain(options.route).map((name) => ({ name, namespace: options.namespace })),
        services: [
          {
            kind: 'Service',
            name: options.service,
            namespace: options.namespace,
            port: options.servicePort,
            scheme: 'https',
            serversTransport: options.serversTransport,
          },
        ],
      },
    ],
    tls: {
      secretName: options.tlsSecretName,
      options: { name: options.tlsOption, namespace: options.namespace },
    },
  };
}

export interface ServersTransportOptions {
  serverName: string;
  caSecretName: string;
  /** Secret (tls.crt/tls.key) the gateway presents to the API under mtls-internal. */
  clientCertificateSecretName?: string;
}

export function serversTransportSpec(options: ServersTransportOptions): Record<string, unknown> {
  return {
    serverName: options.serverName,
    insecureSkipVerify: false,
    rootCAsSecrets: [options.caSecretName],
    ...(options.clientCertificateSecretName
      ? { certificatesSecrets: [options.clientCertificateSecretName] }
      : {}),
    forwardingTimeouts: { dialTimeout: '5s', responseHeaderTimeout: '30s', idleConnTimeout: '90s' },
  };
}
