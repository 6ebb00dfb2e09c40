// The stack program: settings -> explicit Kubernetes provider -> architecture -> outputs.
import * as k8s from '@pulumi/kubernetes';
import { readSettings, type Settings } from '../settings';
import { buildArchitecture, buildClusterAddons, stackOutputs } from './architecture';

/** No ambient kubeconfig surprises: the context (or YAML rendering) comes from the stack settings. */
export function kubernetesProvider(settings: Settings): k8s.Provider {
  return new k8s.Provider('kubernetes', {
    ...(settings.kubeContext ? { context: settings.kubeContext } : {}),
    ...(settings.renderYamlToDirectory ? { renderYamlToDirectory: settings.renderYamlToDirectory } : {}),
  });
}

export function deployStack(): Record<string, unknown> {
  const settings = readSettings();
  const provider = kubernetesProvider(settings);
  if (settings.clusterAddons === 'own') {
    const addons = buildClusterAddons(settings, provider);
    return { clusterAddons: 'own', traefikConfig: addons.traefikConfig.metadata.name };
  }
  return stackOutputs(buildArchitecture(settings, provider), settings);
}
