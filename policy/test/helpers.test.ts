import { describe, expect, it } from 'vitest';
import { parseImage, selectorMatches } from '../lib/k8s';
import { hbaProblems, parseConf, parseServerArgs } from '../lib/postgres-config';
import { isTokenEndpoint } from '../policies/api-route-auth';
import { durationHours } from '../policies/certificate-strength';
import { looksSecret } from '../policies/no-secret-literals';

describe('policy helpers', () => {
  it.each([
    ['POSTGRES_PASSWORD', true],
    ['jwtSecret', true],
    ['tls.key', true],
    ['API_TOKEN', true],
    ['JWT_PUBLIC_KEY_FILE', false],
    ['OAUTH_TOKEN_URL', false],
    ['MONKEY_COUNT', false],
    ['PGHOST', false],
  ])('looksSecret(%s) is %s', (name, expected) => {
    expect(looksSecret(name)).toBe(expected);
  });

  it.each([
    ['2160h', 2160],
    ['720h0m0s', 720],
    ['90m', 1.5],
    ['90d', undefined],
  ])('durationHours(%s) = %s', (text, hours) => {
    expect(durationHours(text)).toBe(hours);
  });

  it.each([
    ['Host(`a`) && Path(`/oauth/token`) && Method(`POST`)', true],
    ['Host(`a`) && PathPrefix(`/oauth/token`)', false],
    ['Host(`a`) && Path(`/oauth/token`) || Path(`/users`)', false],
    ['Host(`a`)', false],
  ])('isTokenEndpoint(%s) is %s', (match, expected) => {
    expect(isTokenEndpoint(match)).toBe(expected);
  });

  it('splits image references with registry ports and digests', () => {
    expect(parseImage('localhost:5000/api')).toEqual({
      repository: 'localhost:5000/api',
      tag: undefined,
      digest: undefined,
    });
    expect(parseImage('postgres:16.4')).toMatchObject({ repository: 'postgres', tag: '16.4' });
    expect(parseImage('ghcr.io/x/y@sha256:abc')).toMatchObject({ tag: undefined, digest: 'sha256:abc' });
  });

  it('matches label selectors with expressions', () => {
    const labels = { app: 'api', tier: 'web' };
    expect(selectorMatches({ matchLabels: { app: 'api' } }, labels)).toBe(true);
    expect(
      selectorMatches({ matchExpressions: [{ key: 'tier', operator: 'In', values: ['db'] }] }, labels),
    ).toBe(false);
    expect(selectorMatches({ matchExpressions: [{ key: 'x', operator: 'DoesNotExist' }] }, labels)).toBe(
      true,
    );
    expect(selectorMatches({}, labels)).toBe(true);
  });

  it('reads PostgreSQL settings from files and flags, and judges pg_hba', () => {
    expect(
      parseConf("ssl = on # comment\nssl_min_protocol_version='TLSv1.3'").get('ssl_min_protocol_version'),
    ).toBe('TLSv1.3');
    const flags = parseServerArgs([
      'postgres',
      '-c',
      'ssl=on',
      '-cssl_cert_file=/tls/tls.crt',
      '--port=5433',
    ]);
    expect(Object.fromEntries(flags)).toEqual({ ssl: 'on', ssl_cert_file: '/tls/tls.crt', port: '5433' });
    expect(hbaProblems('hostssl all all all scram-sha-256\nhostnossl all all all reject')).toEqual([]);
    expect(hbaProblems('hostssl all all all trust')).toEqual([
      '"hostssl all all all trust" trusts network clients without a password',
    ]);
    expect(hbaProblems('host all all 10.0.0.0 255.0.0.0 md5')).toHaveLength(2);
  });
});
