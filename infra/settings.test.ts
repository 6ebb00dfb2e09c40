import { describe, expect, it } from 'vitest';
import { DEFAULT_IMAGES, parseSettings, SettingsError } from './settings';
import { CONTROL_IDS } from './stacks/controls';

describe('parseSettings', () => {
  it('defaults to no controls, pinned images, the stack namespace and cluster add-ons', () => {
    expect(parseSettings({}, 'start')).toEqual({
      stack: 'start',
      controls: [],
      images: DEFAULT_IMAGES,
      namespace: 'workshop-start',
      installClusterAddons: true,
    });
  });

  it('resolves controls into catalog order', () => {
    const settings = parseSettings(
      { controls: ['network-policies', 'db-firewall', 'authn-jwt', 'db-tls'] },
      'x',
    );
    expect(settings.controls).toEqual(['authn-jwt', 'db-tls', 'db-firewall', 'network-policies']);
  });

  it('rejects an unknown control and lists the valid ids', () => {
    expect(() => parseSettings({ controls: ['authn-jwt', 'firewall'] }, 'x')).toThrow(SettingsError);
    expect(() => parseSettings({ controls: ['firewall'] }, 'x')).toThrow(
      `unknown control "firewall"; valid controls are: ${CONTROL_IDS.join(', ')}`,
    );
  });

  it('rejects a control whose requirement is missing', () => {
    expect(() => parseSettings({ controls: ['db-firewall'] }, 'x')).toThrow(
      /missing control requirements: "db-firewall" requires "db-tls"; "db-firewall" requires "network-policies"; valid controls are: authn-jwt, /,
    );
    expect(() => parseSettings({ controls: ['authz-scopes'] }, 'x')).toThrow(
      /"authz-scopes" requires "authn-jwt"/,
    );
  });

  it('rejects unpinned images', () => {
    expect(() => parseSettings({ images: { postgres: 'postgres' } }, 'x')).toThrow(
      'images.postgres "postgres" must be pinned to a version tag (not missing, not "latest")',
    );
    expect(() => parseSettings({ images: { api: 'registry:5000/api:latest' } }, 'x')).toThrow(/images.api/);
    expect(() => parseSettings({ images: { nginx: 'nginx:1.27' } }, 'x')).toThrow(
      /images.nginx is not a known image/,
    );
    expect(parseSettings({ images: { api: 'registry:5000/api:1.2.3' } }, 'x').images.api).toBe(
      'registry:5000/api:1.2.3',
    );
  });

  it('rejects bad namespaces, booleans and unknown keys', () => {
    expect(() => parseSettings({ namespace: 'Workshop_X' }, 'x')).toThrow(/not a valid Kubernetes namespace/);
    expect(() => parseSettings({ installClusterAddons: 'yes' }, 'x')).toThrow(
      /installClusterAddons must be true or false/,
    );
    expect(() => parseSettings({ controlz: [] } as never, 'x')).toThrow(/unknown setting controlz/);
  });

  it('renders YAML without Helm releases (they need a cluster)', () => {
    const settings = parseSettings({ renderYamlToDirectory: 'out/engine' }, 'end');
    expect(settings.installClusterAddons).toBe(false);
    expect(() =>
      parseSettings({ renderYamlToDirectory: 'out/x', installClusterAddons: true }, 'end'),
    ).toThrow(/renderYamlToDirectory cannot install Helm charts; set installClusterAddons: false/);
  });
});
