import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ALL_SCOPES } from '@secure-workshop/contracts';
import { apiShape, jwtIssuer, oauthClientsFile, reconcilerScopes } from './secure-api';

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
    expect(apiShape(new Set())).toEqual({
      scheme: 'http',
      containerPort: 3000,
      servicePort: 80,
      portName: 'http',
    });
    expect(apiShape(new Set(['tls-in-transit']))).toEqual({
      scheme: 'https',
      containerPort: 8443,
      servicePort: 443,
      portName: 'https',
    });
    expect(jwtIssuer('workshop-end')).toBe('https://api.workshop-end.svc');
  });
});
