import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ALL_SCOPES, CONTROL_IDS, type ControlId, controlSet } from '@secure-workshop/contracts';
import { ControlTrail } from '../lib/labels';
import { reconcilerPodSpec } from './reconciler-job';
import { apiEndpoint, apiPodSpec, jwtIssuer, oauthClientsFile, reconcilerScopes } from './secure-api';

describe('SecureApi helpers', () => {
  it('writes only SHA-256 digests of client secrets to the registry', () => {
    const file = oauthClientsFile([
      { clientId: 'reconciler', secret: 's3cret-value', scopes: ['read:user'] },
    ]);
    expect(file).not.toContain('s3cret-value');
    expect(JSON.parse(file)).toEqual([
      {
        clientId: 'reconciler',
        secretSha256: createHash('sha256').update('s3cret-value').digest('hex'),
        scopes: ['read:user'],
      },
    ]);
  });

  it('limits the reconciler to reading only under authz-scopes', () => {
    expect(reconcilerScopes(new Set(['authn-jwt']))).toEqual(ALL_SCOPES);
    expect(reconcilerScopes(new Set(['authn-jwt', 'authz-scopes']))).toEqual([
      'read:user',
      'read:transaction',
    ]);
  });

  it('serves HTTPS on 443 only under tls-in-transit', () => {
    expect(apiEndpoint(new Set())).toEqual({
      scheme: 'http',
      containerPort: 3000,
      servicePort: 80,
      portName: 'http',
    });
    expect(apiEndpoint(new Set(['tls-in-transit']))).toEqual({
      scheme: 'https',
      containerPort: 8443,
      servicePort: 443,
      portName: 'https',
    });
    expect(jwtIssuer('workshop-end')).toBe('https://api.workshop-end.svc');
  });
});

interface PlainContainer {
  env: { name: string; value?: unknown; valueFrom?: unknown }[];
  securityContext?: Record<string, unknown>;
  readinessProbe?: unknown;
}
const database = (tls: boolean) => ({
  host: 'postgres',
  port: 5432,
  database: 'bank',
  user: 'bank_app',
  tls,
  env: [{ name: 'PGHOST', value: 'postgres' }],
  volumes: [],
  mounts: [],
  credentialsChecksum: undefined as never,
});
function apiPod(controls: ControlId[], tls = false) {
  const trail = new ControlTrail(controlSet(controls));
  const spec = apiPodSpec({
    image: 'secure-workshop/api:0.1.0-abc',
    controls: controlSet(controls),
    database: database(tls),
    jwtIssuer: 'https://api.workshop-x.svc',
    trail,
  });
  const container = (spec.containers as PlainContainer[])[0]!;
  const env = new Map(container.env.map((entry) => [entry.name, entry.value]));
  return { spec, container, env, annotations: trail.annotations() };
}

describe('apiPodSpec', () => {
  it('start: plain HTTP on 3000, no authentication, helmet off, nothing hardened, nothing annotated', () => {
    const { spec, container, env, annotations } = apiPod([]);
    expect(env.get('PORT')).toBe('3000');
    expect(env.get('AUTH_MODE')).toBe('none');
    expect(env.get('SECURITY_HEADERS')).toBe('off');
    expect(spec.securityContext).toBeUndefined();
    expect(container.securityContext).toBeUndefined();
    expect(annotations).toEqual({});
  });

  it('end: JWT files, HTTPS with client certificates, unnamed statements behind the firewall, restricted', () => {
    const { spec, container, env, annotations } = apiPod([...CONTROL_IDS], true);
    expect(env.get('PORT')).toBe('8443');
    expect(env.get('AUTH_MODE')).toBe('jwt');
    expect(env.get('TLS_CLIENT_AUTH')).toBe('require');
    expect(env.get('PGPREPARE')).toBe('off');
    expect(env.has('SECURITY_HEADERS')).toBe(false);
    expect(spec.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 10001 });
    expect(container.securityContext).toMatchObject({ readOnlyRootFilesystem: true });
    expect(container.readinessProbe).toMatchObject({ httpGet: { port: 'metrics', path: '/readyz' } });
    expect(annotations['secure-workshop.dev/controls']?.split(',')).toEqual(
      expect.arrayContaining([
        'authn-jwt',
        'tls-in-transit',
        'mtls-internal',
        'db-tls',
        'db-firewall',
        'pod-hardening',
      ]),
    );
  });
});

describe('reconcilerPodSpec', () => {
  it('calls the API with the CA, its client certificate and a read-only token under the end controls', () => {
    const trail = new ControlTrail(controlSet([...CONTROL_IDS]));
    const spec = reconcilerPodSpec({
      image: 'secure-workshop/reconciler:0.1.0-abc',
      apiUrl: 'https://api',
      https: true,
      tokenUrl: 'https://api/oauth/token',
      trail,
    });
    const env = new Map(
      (spec.containers as PlainContainer[])[0]!.env.map((entry) => [entry.name, entry.value]),
    );
    expect(env.get('TLS_CA_FILE')).toBe('/etc/reconciler/ca/ca.crt');
    expect(env.get('TLS_CERT_DIR')).toBe('/etc/reconciler/tls');
    expect(env.get('OAUTH_SCOPE')).toBe('read:user read:transaction');
    expect(env.get('OAUTH_CLIENT_SECRET_FILE')).toBe('/etc/reconciler/oauth/client-secret');
    expect(env.has('OAUTH_ALLOW_PLAINTEXT')).toBe(false);
    expect(spec.restartPolicy).toBe('Never');
  });

  it('opts into plaintext OAuth only at step 1 (authn-jwt without tls-in-transit)', () => {
    const spec = reconcilerPodSpec({
      image: 'r:1',
      apiUrl: 'http://api',
      https: false,
      tokenUrl: 'http://api/oauth/token',
      trail: new ControlTrail(controlSet(['authn-jwt', 'authz-scopes'])),
    });
    const env = new Map(
      (spec.containers as PlainContainer[])[0]!.env.map((entry) => [entry.name, entry.value]),
    );
    expect(env.get('OAUTH_ALLOW_PLAINTEXT')).toBe('true');
    expect(env.get('OAUTH_TOKEN_URL')).toBe('http://api/oauth/token');
  });

  it('calls plain HTTP anonymously in the start stack', () => {
    const spec = reconcilerPodSpec({
      image: 'r:1',
      apiUrl: 'http://api',
      https: false,
      tokenUrl: 'http://api/oauth/token',
      trail: new ControlTrail(controlSet([])),
    });
    expect((spec.containers as PlainContainer[])[0]!.env).toEqual([{ name: 'API_URL', value: 'http://api' }]);
    expect(spec.volumes).toEqual([]);
  });
});
