import { describe, expect, it } from 'vitest';
import { DEFAULT_IMAGES, parseSettings, SettingsError } from './settings';
import { CONTROL_IDS } from '@secure-workshop/contracts';
import { controlsAtStep } from '@secure-workshop/contracts';

describe('parseSettings', () => {
  it('defaults to no controls, pinned images, the stack namespace and using the cluster add-ons', () => {
    expect(parseSettings({}, 'start')).toEqual({
      stack: 'start',
      controls: [],
      images: DEFAULT_IMAGES,
      namespace: 'workshop-start',
      clusterAddons: 'use',
    });
  });

  it('takes the controls of a guide step (0 to 6), as a number or as the text the CLI stores', () => {
    expect(parseSettings({ step: 3 }, 'dev')).toMatchObject({ step: 3, controls: controlsAtStep(3) });
    expect(parseSettings({ step: '0' }, 'dev').controls).toEqual([]);
    expect(parseSettings({ step: 6 }, 'dev').controls).toEqual([...CONTROL_IDS]);
    expect(() => parseSettings({ step: 7 }, 'dev')).toThrow(/step must be a guide step from 0 to 6, got 7/);
    expect(() => parseSettings({ step: 'two' }, 'dev')).toThrow(/step must be a guide step/);
    expect(() => parseSettings({ step: 2, controls: ['authn-jwt'] }, 'dev')).toThrow(
      /set either step or controls, not both/,
    );
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

  it('rejects bad namespaces, add-on roles and unknown keys (the old installClusterAddons too)', () => {
    expect(() => parseSettings({ namespace: 'Workshop_X' }, 'x')).toThrow(/not a valid Kubernetes namespace/);
    expect(() => parseSettings({ clusterAddons: 'install' }, 'x')).toThrow(
      /clusterAddons must be one of own, use, got "install"/,
    );
    expect(() => parseSettings({ controlz: [] } as never, 'x')).toThrow(/unknown setting controlz/);
    expect(() => parseSettings({ installClusterAddons: true } as never, 'x')).toThrow(
      /unknown setting installClusterAddons; known settings are: controls, step, images, namespace, clusterAddons/,
    );
  });

  it('an add-ons owner deploys nothing of the workshop, and cannot render to a directory', () => {
    expect(parseSettings({ clusterAddons: 'own' }, 'addons').clusterAddons).toBe('own');
    expect(() => parseSettings({ clusterAddons: 'own', controls: ['authn-jwt'] }, 'addons')).toThrow(
      /installs the add-ons only; remove its controls or step/,
    );
    expect(() => parseSettings({ clusterAddons: 'own', renderYamlToDirectory: 'out/x' }, 'addons')).toThrow(
      /renderYamlToDirectory cannot install Helm charts/,
    );
    expect(parseSettings({ renderYamlToDirectory: 'out/engine' }, 'end').renderYamlToDirectory).toBe(
      'out/engine',
    );
  });
});
