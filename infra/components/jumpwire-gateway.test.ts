import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { derivedUuid, jumpWireConfig, renderJumpWireConfig } from './jumpwire-gateway';

const input = {
  manifestId: '0779b97a-c04a-48f9-9483-22e8b0487de4',
  clientId: 'ccf334b5-2d5a-45ee-a6dd-c34caf99e4d4',
  postgresHost: 'postgres',
  postgresPort: 5432,
  database: 'bank',
  username: 'bank_owner',
  password: 'generated',
};

describe('JumpWire configuration', () => {
  it('labels the users fields, encrypts pci, drops secret and admits one api client', () => {
    const config = parseYaml(renderJumpWireConfig(input)) as ReturnType<typeof jumpWireConfig>;
    expect(config).toMatchObject({
      manifests: [
        {
          id: input.manifestId,
          root_type: 'postgresql',
          credentials: { username: 'bank_owner', password: 'generated' },
          configuration: {
            type: 'postgresql',
            database: 'bank',
            hostname: 'postgres',
            port: 5432,
            ssl: true,
          },
        },
      ],
      proxy_schemas: [
        {
          name: 'users',
          manifest_id: input.manifestId,
          fields: { credit_card: 'pci', email: 'pii', password_hash: 'secret' },
        },
      ],
      client_auth: [{ id: input.clientId, name: 'api', manifest_id: input.manifestId }],
      policies: [
        { version: 1, handling: 'encrypt', label: 'pci' },
        { version: 1, handling: 'drop_field', label: 'secret' },
      ],
    });
  });

  it('derives stable, distinct UUIDs for the config objects', () => {
    const first = derivedUuid(input.manifestId, 'policy/encrypt-pci');
    expect(first).toBe(derivedUuid(input.manifestId, 'policy/encrypt-pci'));
    expect(first).not.toBe(derivedUuid(input.manifestId, 'policy/drop-secret'));
    expect(first).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});
