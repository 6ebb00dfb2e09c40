// The only reader of pulumi.Config: stack settings, typed and validated with readable errors.
import * as pulumi from '@pulumi/pulumi';
import { appImage } from './lib/app-images';
import { pinnedImage } from './lib/image-pins';
import { type ControlId, ControlsError, resolveControls } from '@secure-workshop/contracts';
import { LAST_STEP, StepError, controlsAtStep } from '@secure-workshop/contracts';

export const PROJECT = 'secure-workshop';

export interface ImageSettings {
  api: string;
  reconciler: string;
  backup: string;
  postgres: string;
  jumpwire: string;
}

/**
 * Cluster-wide add-ons (cert-manager, the Traefik plugin configuration, the monitoring charts) have
 * exactly one owner on a cluster: the stack with `own` installs them and deploys nothing else; every
 * workshop stack `use`s them (reads them, never creates or deletes them), so workshop stacks can be
 * created and destroyed in any order.
 */
export type ClusterAddons = 'own' | 'use';
export const CLUSTER_ADDONS: readonly ClusterAddons[] = ['own', 'use'];

export interface Settings {
  stack: string;
  controls: ControlId[];
  /** The guide step the controls come from, when the stack names one instead of a list. */
  step?: number;
  images: ImageSettings;
  namespace: string;
  clusterAddons: ClusterAddons;
  kubeContext?: string;
  renderYamlToDirectory?: string;
  storageClassName?: string;
}

/** The apps' tags follow their build inputs (infra/lib/app-images.ts), as `npm run images` builds them. */
export const DEFAULT_IMAGES: ImageSettings = {
  api: appImage('api'),
  reconciler: appImage('reconciler'),
  backup: appImage('backup'),
  postgres: pinnedImage('postgres'),
  jumpwire: pinnedImage('jumpwire'),
};

/** Raw values as they come from the stack file (every field optional, any type). */
export interface RawSettings {
  controls?: unknown;
  step?: unknown;
  images?: unknown;
  namespace?: unknown;
  clusterAddons?: unknown;
  kubeContext?: unknown;
  renderYamlToDirectory?: unknown;
  storageClassName?: unknown;
}

export class SettingsError extends Error {
  override readonly name = 'SettingsError';
}

const SETTING_KEYS = [
  'controls',
  'step',
  'images',
  'namespace',
  'clusterAddons',
  'kubeContext',
  'renderYamlToDirectory',
  'storageClassName',
] as const;

const dnsLabel = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

function fail(message: string): never {
  throw new SettingsError(`${PROJECT}: ${message}`);
}

function optionalString(key: string, value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || value.trim() === '') fail(`${key} must be a non-empty string`);
  return value;
}

/** An image reference must carry an explicit tag (or digest) that is not `latest`. */
export function checkPinnedImage(key: string, image: string): string {
  if (/\s/.test(image) || image === '') fail(`images.${key} "${image}" is not an image reference`);
  if (image.includes('@sha256:')) return image;
  const lastSegment = image.slice(image.lastIndexOf('/') + 1);
  const colon = lastSegment.lastIndexOf(':');
  const tag = colon < 0 ? '' : lastSegment.slice(colon + 1);
  if (tag === '' || tag === 'latest') {
    fail(`images.${key} "${image}" must be pinned to a version tag (not missing, not "latest")`);
  }
  return image;
}

function parseImages(value: unknown): ImageSettings {
  if (value === undefined || value === null) return { ...DEFAULT_IMAGES };
  if (typeof value !== 'object' || Array.isArray(value)) {
    fail(`images must be a map of ${Object.keys(DEFAULT_IMAGES).join(', ')}`);
  }
  const images: ImageSettings = { ...DEFAULT_IMAGES };
  for (const [key, image] of Object.entries(value as Record<string, unknown>)) {
    if (!(key in DEFAULT_IMAGES)) {
      fail(`images.${key} is not a known image; known images are: ${Object.keys(DEFAULT_IMAGES).join(', ')}`);
    }
    if (typeof image !== 'string') fail(`images.${key} must be a string`);
    images[key as keyof ImageSettings] = image;
  }
  for (const [key, image] of Object.entries(images)) checkPinnedImage(key, image);
  return images;
}

function parseControls(value: unknown): ControlId[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || value.some((id) => typeof id !== 'string')) {
    fail('controls must be a list of control ids');
  }
  try {
    return resolveControls(value as string[]);
  } catch (error) {
    if (error instanceof ControlsError) fail(error.message);
    throw error;
  }
}

function parseStep(value: unknown): number | undefined {
  if (value === undefined || value === null) return undefined;
  const step = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  if (typeof step !== 'number' || !Number.isInteger(step) || step < 0 || step > LAST_STEP) {
    fail(`step must be a guide step from 0 to ${LAST_STEP}, got ${JSON.stringify(value)}`);
  }
  return step;
}

function parseClusterAddons(value: unknown): ClusterAddons {
  if (value === undefined || value === null) return 'use';
  if (typeof value === 'string' && (CLUSTER_ADDONS as readonly string[]).includes(value)) {
    return value as ClusterAddons;
  }
  return fail(`clusterAddons must be one of ${CLUSTER_ADDONS.join(', ')}, got ${JSON.stringify(value)}`);
}

/** Pure validation of the raw stack settings; `readSettings` feeds it from pulumi.Config. */
export function parseSettings(raw: RawSettings, stack: string): Settings {
  const unknownKeys = Object.keys(raw).filter((key) => !(SETTING_KEYS as readonly string[]).includes(key));
  if (unknownKeys.length > 0) {
    fail(`unknown setting ${unknownKeys.join(', ')}; known settings are: ${SETTING_KEYS.join(', ')}`);
  }
  const namespace = optionalString('namespace', raw.namespace) ?? `workshop-${stack}`;
  // Helm releases talk to the cluster, so rendering manifests means the add-ons are already there.
  const renderYamlToDirectory = optionalString('renderYamlToDirectory', raw.renderYamlToDirectory);
  if (!dnsLabel.test(namespace)) fail(`namespace "${namespace}" is not a valid Kubernetes namespace name`);
  const step = parseStep(raw.step);
  if (step !== undefined && raw.controls !== undefined && raw.controls !== null) {
    fail('set either step or controls, not both (step picks the controls of that guide step)');
  }
  const clusterAddons = parseClusterAddons(raw.clusterAddons);
  let controls: ControlId[];
  try {
    controls = step === undefined ? parseControls(raw.controls) : controlsAtStep(step);
  } catch (error) {
    if (error instanceof StepError) fail(error.message);
    throw error;
  }
  if (clusterAddons === 'own' && (controls.length > 0 || step !== undefined)) {
    fail('a stack with clusterAddons: own installs the add-ons only; remove its controls or step');
  }
  const settings: Settings = {
    stack,
    controls,
    ...(step === undefined ? {} : { step }),
    images: parseImages(raw.images),
    namespace,
    clusterAddons,
  };
  if (renderYamlToDirectory !== undefined) {
    if (clusterAddons === 'own')
      fail('renderYamlToDirectory cannot install Helm charts (clusterAddons: own)');
    settings.renderYamlToDirectory = renderYamlToDirectory;
  }
  const kubeContext = optionalString('kubeContext', raw.kubeContext);
  if (kubeContext !== undefined) settings.kubeContext = kubeContext;
  const storageClassName = optionalString('storageClassName', raw.storageClassName);
  if (storageClassName !== undefined) settings.storageClassName = storageClassName;
  return settings;
}

/** Reads `secure-workshop:*` from the current stack's configuration. */
export function readSettings(): Settings {
  const config = new pulumi.Config(PROJECT);
  const raw: RawSettings = {};
  for (const key of SETTING_KEYS) {
    const text = config.get(key);
    if (text === undefined) continue;
    raw[key] = parseConfigValue(text);
  }
  return parseSettings(raw, pulumi.getStack());
}

/** Structured values (lists, maps, booleans) arrive as JSON text; plain strings do not parse. */
function parseConfigValue(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
