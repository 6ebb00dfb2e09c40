import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import {
  CLIENT_IDENTITY_HEADERS,
  MIDDLEWARES,
  TRAEFIK_CHART,
  TRAEFIK_PLUGINS,
  TRAEFIK_VALUE_PATHS,
  fail2banSpec,
  ingressRouteSpec,
  jwtSpec,
  middlewareChain,
  rateLimitSpec,
  serversTransportSpec,
  tlsOptionSpec,
  traefikValues,
  traefikValuesContent,
} from './traefik-config';

/** Leaf paths of a values tree, with `*` for the names we choose (plugin names, header names). */
function leafPaths(value: unknown, prefix = ''): string[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return [prefix];
  return Object.entries(value).flatMap(([key, child]) => {
    const segment = /^experimental\.plugins$|headers\.names$/.test(prefix) ? '*' : key;
    return leafPaths(child, prefix ? `${prefix}.${segment}` : segment);
  });
}

const pem = '-----BEGIN PUBLIC KEY-----\nMFkw\n-----END PUBLIC KEY-----\n';

describe('traefik static configuration', () => {
  it('loads both plugins pinned, in the per-plugin map shape, with JSON logs, metrics and a redirect', () => {
    const values = parse(traefikValuesContent()) as Record<string, Record<string, Record<string, unknown>>>;
    expect(values.experimental?.plugins).toEqual({
      jwt: TRAEFIK_PLUGINS.jwt,
      fail2ban: TRAEFIK_PLUGINS.fail2ban,
    });
    expect(values.logs?.access).toMatchObject({ enabled: true, format: 'json' });
    expect(values.logs?.general).toMatchObject({ format: 'json' });
    expect(values.metrics?.prometheus).toMatchObject({ entryPoint: 'metrics', addRoutersLabels: true });
    // Chart v40: ports.<name>.http.redirections (redirectTo is gone since v34 and ignored by k3s).
    expect(values.ports?.web).toEqual({
      http: { redirections: { entryPoint: { to: 'websecure', scheme: 'https', permanent: true } } },
    });
    expect(values.global).toEqual({ checkNewVersion: false, sendAnonymousUsage: false });
    expect(values.ports?.metrics).toEqual({ port: 9100, expose: { default: false } });
    expect(values.metrics?.prometheus).toMatchObject({ service: { enabled: true } });
    for (const plugin of Object.values(TRAEFIK_PLUGINS)) expect(plugin.version).toMatch(/^v\d+\.\d+\.\d+$/);
  });

  it(`sets only value paths chart v${TRAEFIK_CHART.version} reads (the k3s package has no schema to refuse the others)`, () => {
    const paths = leafPaths(traefikValues());
    expect(paths.length).toBeGreaterThan(15);
    for (const path of paths) expect(TRAEFIK_VALUE_PATHS, path).toHaveProperty([path]);
    expect(paths).not.toContain('globalArguments');
  });

  it('writes the HelmChartConfig body so YAML 1.1 (helm-controller, Go) reads the same values', () => {
    expect(parse(traefikValuesContent(), { version: '1.1' })).toEqual(traefikValues());
  });

  it('never logs request headers other than an allow-list (no Authorization)', () => {
    const values = parse(traefikValuesContent()) as { logs: { access: { fields: { headers: unknown } } } };
    expect(values.logs.access.fields.headers).toEqual({
      defaultmode: 'drop',
      names: { 'User-Agent': 'keep', 'X-Request-Id': 'keep' },
    });
  });
});

describe('middleware chain', () => {
  it('puts fail2ban outermost, strips forged identity before rate limit and JWT, secure headers last', () => {
    expect(middlewareChain('api')).toEqual([
      'fail2ban',
      'strip-identity-headers',
      'rate-limit',
      'jwt',
      'secure-headers',
    ]);
    const token = middlewareChain('token');
    expect(token[0]).toBe(MIDDLEWARES.fail2ban);
    expect(token).not.toContain(MIDDLEWARES.jwt);
    expect(token).toContain(MIDDLEWARES.tokenRateLimit);
  });

  it('builds the route on websecure only with TLS, the chain in order and the upstream transport', () => {
    const spec = ingressRouteSpec({
      host: 'api.end.workshop.test',
      namespace: 'workshop-end',
      service: 'api',
      servicePort: 443,
      serversTransport: 'api-upstream',
      tlsSecretName: 'api-gateway-tls',
      tlsOption: 'tls-modern',
      route: 'api',
    }) as { entryPoints: string[]; routes: Array<Record<string, unknown>>; tls: unknown };
    expect(spec.entryPoints).toEqual(['websecure']);
    expect(spec.routes[0]?.match).toBe('Host(`api.end.workshop.test`)');
    expect((spec.routes[0]?.middlewares as Array<{ name: string }>).map((m) => m.name)).toEqual(
      middlewareChain('api'),
    );
    expect(spec.routes[0]?.services).toEqual([
      {
        kind: 'Service',
        name: 'api',
        namespace: 'workshop-end',
        port: 443,
        scheme: 'https',
        serversTransport: 'api-upstream',
      },
    ]);
    expect(spec.tls).toEqual({
      secretName: 'api-gateway-tls',
      options: { name: 'tls-modern', namespace: 'workshop-end' },
    });
    expect(() => ingressRouteSpec({ ...baseRoute(), host: 'evil`) || Host(`x' })).toThrow(/not a DNS name/);
  });
});

function baseRoute() {
  return {
    host: 'a.test',
    namespace: 'n',
    service: 'api',
    servicePort: 443,
    serversTransport: 't',
    tlsSecretName: 's',
    tlsOption: 'o',
    route: 'token' as const,
  };
}

describe('middleware specs', () => {
  it('JWT: required, ES256 pinned, exp and aud checked against the audience, bearer header only', () => {
    expect(jwtSpec({ publicKeyPem: pem, audience: 'workshop-api' })).toEqual({
      plugin: {
        jwt: {
          Required: true,
          Alg: 'ES256',
          PayloadFields: ['exp', 'aud'],
          Aud: 'workshop-api',
          Keys: [pem],
          JwtSources: [{ type: 'bearer', key: 'Authorization' }],
        },
      },
    });
    expect(() => jwtSpec({ publicKeyPem: 'secret', audience: 'a' })).toThrow(/PEM public key/);
  });

  it('fail2ban counts 401, 403 and 429 and rejects nonsense durations', () => {
    expect(fail2banSpec()).toEqual({
      plugin: {
        fail2ban: {
          rules: { enabled: true, bantime: '1m', findtime: '1m', maxretry: 10, statuscode: '401,403,429' },
        },
      },
    });
    expect(() =>
      fail2banSpec({ bantime: 'forever', findtime: '5m', maxretry: 3, statuscode: '401' }),
    ).toThrow();
  });

  it('rate limit and TLS option', () => {
    expect(() => rateLimitSpec({ average: 10, burst: 5, period: '1s' })).toThrow(/burst/);
    const tlsOption = tlsOptionSpec() as { minVersion: string; sniStrict: boolean; cipherSuites: string[] };
    expect(tlsOption.minVersion).toBe('VersionTLS12');
    expect(tlsOption.sniStrict).toBe(true);
    expect(
      tlsOption.cipherSuites.every((suite) =>
        /^TLS_ECDHE_.*(GCM_SHA(256|384)|CHACHA20_POLY1305)$/.test(suite),
      ),
    ).toBe(true);
  });

  it('ServersTransport trusts the CA and presents a client certificate only when asked', () => {
    const plain = serversTransportSpec({ serverName: 'api.ns.svc', caSecretName: 'ca' });
    expect(plain).toMatchObject({
      serverName: 'api.ns.svc',
      insecureSkipVerify: false,
      rootCAs: [{ secret: 'ca' }],
    });
    expect(plain).not.toHaveProperty('certificatesSecrets');
    const mtls = serversTransportSpec({
      serverName: 'api.ns.svc',
      caSecretName: 'ca',
      clientCertificateSecretName: 'cl',
    });
    expect(mtls).toMatchObject({ certificatesSecrets: ['cl'] });
  });

  it('strips every client-sent identity header the API or a proxy might trust', () => {
    expect(CLIENT_IDENTITY_HEADERS).toEqual(
      expect.arrayContaining(['X-Forwarded-User', 'X-User', 'X-Auth-Request-User', 'X-Client-Cert']),
    );
  });
});
