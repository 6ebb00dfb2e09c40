import { describe, expect, it } from 'vitest';
import { inferSecretPaths, labelGeneratedValues, looksLikeSecretKey } from './secrets';

describe('inferSecretPaths', () => {
  it('marks Secret payloads, password-like keys and env values, but not references to secrets', () => {
    const paths = inferSecretPaths(
      'kubernetes:core/v1:Secret',
      {
        data: { x: 'eA==' },
        values: { adminPassword: 'hunter2', passwordFile: '/etc/pw', existingSecretName: 'db' },
        env: [
          { name: 'PGPASSWORD', value: 'postgres' },
          { name: 'TLS_KEY', value: '/etc/tls/tls.key' },
          { name: 'OAUTH_TOKEN_URL', value: 'https://api/oauth/token' },
          { name: 'PGUSER', valueFrom: { secretKeyRef: { name: 'db', key: 'password' } } },
        ],
      },
      [],
    );
    expect(paths.sort()).toEqual(['data', 'env.0.value', 'values.adminPassword']);
  });

  it('marks any string that contains a generated secret value', () => {
    const paths = inferSecretPaths(
      'kubernetes:core/v1:ConfigMap',
      { data: { 'config.yaml': 'key: S3cretValue99\n' } },
      ['S3cretValue99'],
    );
    expect(paths).toEqual(['data.config.yaml']);
  });

  it('knows reference names from secrets', () => {
    expect(looksLikeSecretKey('JWT_PRIVATE_KEY_FILE')).toBe(false);
    expect(looksLikeSecretKey('JWT_PUBLIC_KEY')).toBe(false);
    expect(looksLikeSecretKey('encryptionKey')).toBe(true);
    expect(looksLikeSecretKey('OAUTH_CLIENT_SECRET')).toBe(true);
    expect(looksLikeSecretKey('existingSecret')).toBe(false);
    expect(looksLikeSecretKey('passwordKey')).toBe(false);
    expect(looksLikeSecretKey('adminPasswordKey')).toBe(false);
    expect(looksLikeSecretKey('signingKey')).toBe(true);
  });
});

describe('labelGeneratedValues', () => {
  it('replaces generated values inside longer strings', () => {
    expect(labelGeneratedValues({ a: 'id=1234-5678;' }, { '1234-5678': '[generated uuid]' })).toEqual({
      a: 'id=[generated uuid];',
    });
  });
});
