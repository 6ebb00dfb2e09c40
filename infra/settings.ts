// The only reader of pulumi.Config: stack settings, typed and validated with readable errors.
import * as pulumi from '@pulumi/pulumi';
import { type ControlId, ControlsError, resolveControls } from './stacks/controls';

export const PROJECT = 'secure-workshop';

export interface ImageSettings {
  api: string;
  reconciler: string;
  backup: string;
  postgres: string;
  jumpwire: string;
}

export interface Settings {
  stack: string;
  controls: ControlId[];
  images: ImageSettings;
  namespace: string;
  installClusterAddons: boolean;
  kubeContext?: string;
  renderYamlToDirectory?: string;
  storageClassName?: string;
}

/** Image tags `npm run images` builds; the infrastructure and the build script must agree. */
export const APP_IMAGE_TAG = '0.1.0';

export const DEFAULT_IMAGES: ImageSettings = {
  api: `secure-workshop/api:${APP_IMAGE_TAG}`,
  reconciler: `secure-workshop/reconciler:${APP_IMAGE_TAG}`,
  backup: `secure-workshop/backup:${APP_IMAGE_TAG}`,
  postgres: 'postgres:17.6-alpine',
  jumpwire: 'ghcr.io/extragoodlabs/jumpwire:4.0.0',
};

/** Raw values as they come from the stack file (every field optional, any type). */
export interface RawSettings {
  controls?: unknown;
  images?: unknown;
  namespace?: unknown;
  installClusterAddons?: unknown;
  kubeContext?: unknown;
  renderYamlToDirectory?: unknown;
  storageClassName?: unknown;
}

export class SettingsError extends Error {
  override readonly name = 'SettingsError';
}

const SETTING_KEYS = [
  'controls',
  'images',
  'namespace',
  'installClusterAddons',
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

function parseBoolean(key: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined || value === null) return fallback;
  if (typeof value === 'boolean') return value;
  if (value === 'true' || value === 'false') return value === 'true';
  return fail(`${key} must be true or false`);
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
  const settings: Settings = {
    stack,
    controls: parseControls(raw.controls),
    images: parseImages(raw.images),
    namespace,
    installClusterAddons: parseBoolean(
      'installClusterAddons',
      raw.installClusterAddons,
      renderYamlToDirectory === undefined,
    ),
  };
  if (renderYamlToDirectory !== undefined) {
    if (settings.installClusterAddons) {
      fail('renderYamlToDirectory cannot install Helm charts; set installClusterAddons: false');
    }
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
