import { describe, expect, it } from 'vitest';
import { certificateSpec, clusterIssuerName, serviceDnsNames } from './certificate-authority';

const request = {
  secretName: 'api-tls',
  dnsNames: serviceDnsNames('api', 'workshop-end'),
  usage: 'server' as const,
  app: 'api',
  controls: ['tls-in-transit' as const],
};

describe('certificateSpec', () => {
  it('asks for ECDSA P-256, 30 days, renewal at a third, from the stack issuer', () => {
    expect(certificateSpec(request, clusterIssuerName('end'))).toEqual({
      secretName: 'api-tls',
      commonName: 'api',
      dnsNames: ['api', 'api.workshop-end', 'api.workshop-end.svc', 'api.workshop-end.svc.cluster.local'],
      duration: '720h',
      renewBefore: '240h',
      privateKey: { algorithm: 'ECDSA', size: 256, encoding: 'PKCS8', rotationPolicy: 'Always' },
      usages: ['digital signature', 'key encipherment', 'server auth'],
      issuerRef: { name: 'secure-workshop-end-ca', kind: 'ClusterIssuer', group: 'cert-manager.io' },
      secretTemplate: { labels: { 'app.kubernetes.io/name': 'api' } },
    });
  });

  it('refuses localhost, more than 90 days, a bad renewal window and nameless server certificates', () => {
    expect(() => certificateSpec({ ...request, dnsNames: ['api', 'localhost'] }, 'x')).toThrow(
      /must not include localhost/,
    );
    expect(() => certificateSpec({ ...request, durationHours: 91 * 24 }, 'x')).toThrow(/exceeds 2160h/);
    expect(() => certificateSpec({ ...request, renewBeforeHours: 720 }, 'x')).toThrow(/renewBefore/);
    expect(() => certificateSpec({ ...request, dnsNames: [] }, 'x')).toThrow(/needs dnsNames/);
    expect(
      certificateSpec({ ...request, dnsNames: [], usage: 'client', commonName: 'reconciler' }, 'x'),
    ).toMatchObject({
      commonName: 'reconciler',
      usages: ['digital signature', 'key encipherment', 'client auth'],
    });
  });
});
