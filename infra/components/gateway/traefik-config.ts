// Pure builders for the Traefik edge: static values (plugins, logs, metrics) and dynamic CRD specs.
//
// Runtime contract, Traefik v3.7.8 as k3s v1.36.4 bundles it (chart traefik 40.1.x packaged by k3s,
// github.com/traefik/traefik-helm-chart v40.1.0 upstream; github.com/traefik/traefik v3.7.8):
// - the k3s package of the chart has no values.schema.json, so a HelmChartConfig key the chart does
//   not know is ignored without a word: every key below is in TRAEFIK_VALUE_PATHS with where chart
//   v40.1.0 reads it, and a test fails on any other;
// - plugins are downloaded at start from plugins.traefik.io into /plugins-storage (an emptyDir the
//   chart mounts when experimental.plugins is set); if that fails Traefik keeps running and every
//   route that uses a plugin middleware is dropped (404): the API is closed, not open;
// - Traefik runs as uid 65532, read-only root, all capabilities dropped (chart v40.1.0 defaults).
import { TRAEFIK_VERSION } from '../../platform';
import { yamlText } from '../../lib/yaml';

/** Plugin names as Middlewares reference them (`spec.plugin.<name>`) and versions pinned like images. */
export const TRAEFIK_PLUGINS = {
  jwt: {
    moduleName: 'github.com/traefik-plugins/traefik-jwt-plugin',
    // v0.10.0 (2025-05-05) is the newest release and the only one that checks `aud`; it runs under
    // yaegi v0.16.1, Traefik v3.7.8's interpreter (traefik go.mod). Every refusal is a 403 with the
    // error as text: "authorization header missing", "token validation failed", "token is expired",
    // "token audience mismatch" (jwt.go ServeHTTP). Its own log lines appear only at DEBUG.
    version: 'v0.10.0',
  },
  fail2ban: {
    moduleName: 'github.com/tomMoulard/fail2ban',
    // v0.9.0 (2026-04-09) is the newest release, tested upstream with yaegi v0.16.1 and Traefik v3.3.
    // It counts failures per connection address (RemoteAddr, not X-Forwarded-For) in a window fixed
    // from the first failure, bans on the maxretry-th one and then answers 429 with an empty body;
    // each ban is one JSON line on Traefik's stdout ("Plugin: FailToBan: IP blocked").
    version: 'v0.9.0',
  },
} as const;

/** The chart k3s v1.36.4 bundles (its package 40.1.4+up40.1.0 of upstream chart 40.1.0) and its Traefik. */
export const TRAEFIK_CHART = {
  chart: 'traefik',
  version: '40.1.0',
  repo: 'https://traefik.github.io/charts',
  appVersion: TRAEFIK_VERSION,
} as const;

/** The HelmChartConfig k3s merges into its bundled Traefik chart (helm-controller looks it up by name). */
export const TRAEFIK_CONFIG = { name: 'traefik', namespace: 'kube-system' } as const;

/**
 * Every value path we set, with the line of traefik-helm-chart v40.1.0 values.yaml that defines it:
 * the chart the k3s package wraps ignores unknown keys silently, so this list is the check.
 */
export const TRAEFIK_VALUE_PATHS: Record<string, string> = {
  'experimental.plugins.*.moduleName': 'values.yaml:147 (_podtemplate.tpl:452-465)',
  'experimental.plugins.*.version': 'values.yaml:147 (_podtemplate.tpl:452-465)',
  'logs.general.level': 'values.yaml:514-520',
  'logs.general.format': 'values.yaml:514-520',
  'logs.access.enabled': 'values.yaml:567',
  'logs.access.format': 'values.yaml:571',
  'logs.access.fields.general.defaultmode': 'values.yaml:590-593',
  'logs.access.fields.headers.defaultmode': 'values.yaml:594-596',
  'logs.access.fields.headers.names.*': 'values.yaml:597-599',
  'metrics.prometheus.entryPoint': 'values.yaml:647-667',
  'metrics.prometheus.addEntryPointsLabels': 'values.yaml:647-667',
  'metrics.prometheus.addRoutersLabels': 'values.yaml:647-667',
  'metrics.prometheus.addServicesLabels': 'values.yaml:647-667',
  'metrics.prometheus.service.enabled': 'values.yaml:647-667 (templates/service-metrics.yaml)',
  'ports.web.http.redirections.entryPoint.to': 'values.yaml:942-948 (_podtemplate.tpl:637-656)',
  'ports.web.http.redirections.entryPoint.scheme': 'values.yaml:942-948',
  'ports.web.http.redirections.entryPoint.permanent': 'values.yaml:942-948',
  'ports.websecure.http.tls.enabled': 'values.yaml:1019-1022',
  'ports.metrics.port': 'values.yaml:1065-1071',
  'ports.metrics.expose.default': 'values.yaml:1065-1071',
  'providers.kubernetesCRD.allowCrossNamespace': 'values.yaml:305-309',
  'providers.kubernetesIngress.enabled': 'values.yaml:324-326',
  'global.checkNewVersion': 'values.yaml:856-860 (_podtemplate.tpl:204-214)',
  'global.sendAnonymousUsage': 'values.yaml:856-860',
};

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

/** Static configuration for Traefik's Helm chart (v40 value names): the body of k3s's HelmChartConfig. */
export function traefikValues(): Record<string, unknown> {
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
      web: { http: { redirections: { entryPoint: { to: 'websecure', scheme: 'https', permanent: true } } } },
      websecure: { http: { tls: { enabled: true } } },
      metrics: { port: METRICS_PORT, expose: { default: false } },
    },
    providers: { kubernetesCRD: { allowCrossNamespace: false }, kubernetesIngress: { enabled: true } },
    global: { checkNewVersion: false, sendAnonymousUsage: false },
  };
}

/** `spec.valuesContent` of k3s's HelmChartConfig: the chart values as YAML (1.1-safe: Go reads it). */
export function traefikValuesContent(): string {
  return yamlText(traefikValues());
}

export interface Fail2banRules {
  bantime: string;
  findtime: string;
  maxretry: number;
  /** Status codes that count as a failure. */
  statuscode: string;
}

/**
 * Behind k3d every attendee reaches Traefik from one cluster-side address (k3d's load balancer is a
 * TCP proxy, servicelb masquerades), and fail2ban keys on that address: a long ban would lock the
 * whole room out. Ten refusals in a minute ban for one minute: the ban is visible, and short. The
 * plugin JWT's refusals are 403 and the API's are 401/403; a banned client's further requests are
 * 429 and keep the ban going.
 */
export const DEFAULT_FAIL2BAN: Fail2banRules = {
  bantime: '1m',
  findtime: '1m',
  maxretry: 10,
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
    // Listing curves replaces Go's defaults: keep the hybrid post-quantum group first (pkg/tls/certificate.go).
    curvePreferences: ['X25519MLKEM768', 'X25519', 'CurveP256', 'CurveP384'],
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
    // rootCAsSecrets is deprecated in v3 (a warning at every load); rootCAs reads ca.crt from the Secret.
    rootCAs: [{ secret: options.caSecretName }],
    ...(options.clientCertificateSecretName
      ? { certificatesSecrets: [options.clientCertificateSecretName] }
      : {}),
    forwardingTimeouts: { dialTimeout: '5s', responseHeaderTimeout: '30s', idleConnTimeout: '90s' },
  };
}
