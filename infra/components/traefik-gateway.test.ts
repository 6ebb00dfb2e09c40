import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';
import { describe, expect, it } from 'vitest';
import { findObject, runProgram, type RecordedResource } from '../testing/mocks';
import { controlSet, withRequirements, type ControlId } from '@secure-workshop/contracts';
import { TraefikGateway, checkTraefikGatewayArgs, type GatewayCertificateIssuer } from './traefik-gateway';

const pem = '-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\n-----END PUBLIC KEY-----\n';

/** Stands in for CertificateAuthority.certificate: records cert-manager Certificates. */
function fakeIssuer(provider: k8s.Provider): GatewayCertificateIssuer {
  return {
    certificate: (resourceName, request, parent) =>
      new k8s.apiextensions.CustomResource(
        resourceName,
        {
          apiVersion: 'cert-manager.io/v1',
          kind: 'Certificate',
          metadata: { name: request.secretName, namespace: 'workshop-end' },
          spec: { secretName: request.secretName, dnsNames: request.dnsNames, usage: request.usage },
        },
        { parent, provider },
      ),
  };
}

async function render(controls: ControlId[]) {
  const run = await runProgram({
    stack: 'end',
    config: {},
    program: () => {
      const provider = new k8s.Provider('k8s', {});
      const gateway = new TraefikGateway('gateway', {
        context: {
          stack: 'end',
          namespace: 'workshop-end',
          controls: controlSet(controls.flatMap(withRequirements)),
        },
        provider,
        host: 'api.end.workshop.test',
        jwtPublicKeyPem: pulumi.secret(pem),
        jwtAudience: 'secure-workshop-api',
        certificates: fakeIssuer(provider),
      });
      return { chain: gateway.middlewareChain };
    },
  });
  return run;
}

function spec(resource: RecordedResource | undefined): Record<string, unknown> {
  expect(resource).toBeDefined();
  return (resource?.inputs.spec ?? {}) as Record<string, unknown>;
}

function annotations(resource: RecordedResource | undefined): Record<string, string> {
  return ((resource?.inputs.metadata as { annotations?: Record<string, string> })?.annotations ??
    {}) as Record<string, string>;
}

describe('TraefikGateway under the mock runtime', () => {
  it('creates the edge objects in the stack namespace and nothing cluster-wide', async () => {
    const run = await render(['api-gateway', 'security-headers']);
    expect(run.warnings).toEqual([]);
    // k3s's Traefik configuration belongs to the add-ons stack (cluster-addons.ts).
    expect(findObject(run.resources, 'HelmChartConfig', 'traefik')).toBeUndefined();

    const types = run.resources.map((r) => r.type);
    expect(types.filter((t) => t === 'kubernetes:traefik.io/v1alpha1:Middleware')).toHaveLength(6);
    expect(types).toContain('kubernetes:traefik.io/v1alpha1:TLSOption');
    expect(types).toContain('kubernetes:traefik.io/v1alpha1:ServersTransport');

    const route = spec(findObject(run.resources, 'IngressRoute', 'api'));
    expect(route.entryPoints).toEqual(['websecure']);
    const rule = (route.routes as Array<{ middlewares: Array<{ name: string; namespace: string }> }>)[0];
    expect(rule?.middlewares.map((m) => m.name)).toEqual([
      'fail2ban',
      'strip-identity-headers',
      'rate-limit',
      'jwt',
      'secure-headers',
    ]);
    expect(run.outputs.chain).toEqual(rule?.middlewares.map((m) => m.name));
    expect(route.tls).toEqual({
      secretName: 'api-gateway-tls',
      options: { name: 'tls-modern', namespace: 'workshop-end' },
    });

    const jwt = spec(findObject(run.resources, 'Middleware', 'jwt')) as {
      plugin: { jwt: Record<string, unknown> };
    };
    expect(jwt.plugin.jwt).toMatchObject({
      Required: true,
      Alg: 'ES256',
      PayloadFields: ['exp', 'aud'],
      Keys: [pem],
    });
    expect(annotations(findObject(run.resources, 'Middleware', 'jwt'))['secure-workshop.dev/controls']).toBe(
      'authn-jwt,api-gateway',
    );
    expect(
      annotations(findObject(run.resources, 'Middleware', 'secure-headers'))['secure-workshop.dev/controls'],
    ).toBe('api-gateway,security-headers');
    const tlsOption = spec(findObject(run.resources, 'TLSOption', 'tls-modern'));
    expect(tlsOption).toMatchObject({ minVersion: 'VersionTLS12', sniStrict: true });
    const fail2ban = spec(findObject(run.resources, 'Middleware', 'fail2ban')) as {
      plugin: { fail2ban: { rules: { statuscode: string } } };
    };
    expect(fail2ban.plugin.fail2ban.rules.statuscode).toBe('401,403,429');
  });

  it('without mtls-internal the transport trusts the CA but presents no client certificate', async () => {
    const run = await render(['api-gateway']);
    const transport = spec(findObject(run.resources, 'ServersTransport', 'api-upstream'));
    expect(transport).toMatchObject({ rootCAs: [{ secret: 'api-gateway-tls' }], insecureSkipVerify: false });
    expect(transport).not.toHaveProperty('rootCAsSecrets');
    expect(transport).not.toHaveProperty('certificatesSecrets');
    expect(findObject(run.resources, 'Certificate', 'api-gateway-client-tls')).toBeUndefined();
  });

  it('under mtls-internal the transport presents the gateway client certificate', async () => {
    const run = await render(['api-gateway', 'mtls-internal']);
    const transportResource = findObject(run.resources, 'ServersTransport', 'api-upstream');
    expect(spec(transportResource)).toMatchObject({
      serverName: 'api.workshop-end.svc',
      rootCAs: [{ secret: 'api-gateway-tls' }],
      certificatesSecrets: ['api-gateway-client-tls'],
    });
    expect(annotations(transportResource)['secure-workshop.dev/controls']).toContain('mtls-internal');
    expect(spec(findObject(run.resources, 'Certificate', 'api-gateway-client-tls'))).toMatchObject({
      usage: 'client',
    });
  });

  it('routes the token endpoint without JWT but with fail2ban and a rate limit, and carries no policy waiver', async () => {
    const run = await render(['api-gateway']);
    const token = findObject(run.resources, 'IngressRoute', 'api-token');
    const rule = (spec(token).routes as Array<{ match: string; middlewares: Array<{ name: string }> }>)[0];
    expect(rule?.match).toContain('Path(`/oauth/token`)');
    expect(rule?.middlewares.map((m) => m.name)).toEqual([
      'fail2ban',
      'strip-identity-headers',
      'rate-limit-token',
      'secure-headers',
    ]);
    expect(spec(findObject(run.resources, 'Middleware', 'rate-limit-token'))).toMatchObject({
      rateLimit: { average: 5, burst: 10 },
    });
    expect(spec(findObject(run.resources, 'Middleware', 'fail2ban'))).toHaveProperty('plugin.fail2ban');
    expect(
      Object.keys(annotations(token)).filter((key) => key.startsWith('secure-workshop.dev/waive-')),
    ).toEqual([]);
  });

  it('refuses to build without the api-gateway control', async () => {
    expect(() =>
      checkTraefikGatewayArgs({
        context: { stack: 'end', namespace: 'workshop-end', controls: controlSet(['authn-jwt']) },
        host: 'a.test',
      } as never),
    ).toThrow(/api-gateway control/);
  });
});
