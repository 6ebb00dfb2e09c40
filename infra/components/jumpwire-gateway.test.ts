import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import {
  derivedUuid,
  jumpWireConfig,
  jumpWirePodSpec,
  renderJumpWireConfig,
  smokeTestPodSpec,
  smokeTestScript,
} from './jumpwire-gateway';

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

interface PlainContainer {
  command?: string[];
  env: { name: string; value?: string; valueFrom?: unknown }[];
  readinessProbe?: unknown;
  securityContext?: Record<string, unknown>;
}
const containersOf = (spec: { containers: unknown }) => spec.containers as PlainContainer[];

describe('jumpWirePodSpec (the image runtime contract)', () => {
  for (const hardened of [false, true]) {
    it(`runs as the image's jumpwire user, uid 1000, ${hardened ? 'hardened' : 'not hardened'}`, () => {
      const spec = jumpWirePodSpec({ image: 'jw:4.0.0', hardened, configSecret: 'jumpwire-config' });
      expect(spec.securityContext).toMatchObject({ runAsUser: 1000, fsGroup: 1000 });
      const container = containersOf(spec)[0]!;
      const env = new Map(container.env.map((entry) => [entry.name, entry]));
      expect(env.get('JUMPWIRE_CONFIG_PATH')?.value).toBe('/etc/jumpwire/config');
      expect(env.get('JUMPWIRE_ENCRYPTION_KEY_FILE')?.value).toBe('/var/lib/jumpwire/jumpwire_keys');
      expect(env.get('HOME')?.value).toBe('/tmp');
      expect(env.get('JUMPWIRE_DISABLE_REPORTING')?.value).toBe('true');
      expect(env.get('JUMPWIRE_ROOT_TOKEN')?.valueFrom).toEqual({
        secretKeyRef: { name: 'jumpwire-secrets', key: 'root-token' },
      });
      expect(container.readinessProbe).toMatchObject({ httpGet: { path: '/ping', port: 'http' } });
      expect(spec.volumes).toContainEqual({
        name: 'keys',
        persistentVolumeClaim: { claimName: 'jumpwire-keys' },
      });
    });
  }
});

describe('the smoke test script', () => {
  /** Runs the script with a stand-in psql on PATH that prints `row`: only the script's own logic is under test. */
  async function smoke(row: string): Promise<{ code: number; stdout: string; stderr: string }> {
    const dir = await mkdtemp(join(tmpdir(), 'smoke-'));
    try {
      await writeFile(join(dir, 'psql'), `#!/bin/sh\nprintf '%s\\n' '${row}'\n`, { mode: 0o755 });
      await writeFile(join(dir, 'pgpass'), 'jumpwire:5432:*:id:token\n', { mode: 0o440 });
      return await new Promise((resolve) => {
        execFile(
          'sh',
          ['-c', smokeTestScript().replaceAll('/tmp/pgpass', join(dir, 'copy'))],
          { env: { PATH: `${dir}:${process.env.PATH ?? ''}`, PGPASSFILE: join(dir, 'pgpass') } },
          (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
        );
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  it('passes only when the card number comes back as ciphertext and the hash is dropped', async () => {
    expect((await smoke('jumpwire_AQAB|')).stdout).toContain('"smokeTest":"passed"');
    for (const row of ['4111111111111111|', 'jumpwire_AQAB|5f4dcc3b5aa765d61d8327deb882cf99', '']) {
      const result = await smoke(row);
      expect(result.code, row).not.toBe(0);
      expect(result.stderr, row).toContain('"smokeTest":"failed"');
    }
  });

  it('runs as a high uid and reads a private copy of the password file', () => {
    const spec = smokeTestPodSpec({
      image: 'postgres:17',
      hardened: true,
      client: {
        host: 'jumpwire',
        port: 5432,
        database: 'bank',
        user: 'id',
        tls: true,
        env: [],
        volumes: [],
        mounts: [],
        credentialsChecksum: undefined as never,
      },
    });
    expect(spec.securityContext).toMatchObject({ runAsUser: 10001, fsGroup: 10001 });
    expect(containersOf(spec)[0]!.command?.[2]).toContain('install -m 0600 "$PGPASSFILE" /tmp/pgpass');
  });
});
