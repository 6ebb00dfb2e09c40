// A rendered pod as local processes: which program each container runs, with which environment, as
// which user, and where each of its volumes is on this machine. Pure: deploy.ts does the writing.
import * as path from 'node:path';
import { WalkError } from './objects';

/* eslint-disable @typescript-eslint/no-explicit-any -- rendered YAML is untyped; narrowed below */
type Loose = Record<string, any>;
/* eslint-enable @typescript-eslint/no-explicit-any */

export interface ContainerSpec {
  name: string;
  image: string;
  command?: string[];
  args?: string[];
  env?: Loose[];
  envFrom?: Loose[];
  volumeMounts?: { name: string; mountPath: string; subPath?: string; readOnly?: boolean }[];
  ports?: { name?: string; containerPort: number }[];
  securityContext?: Loose;
  readinessProbe?: Loose;
}

export interface PodSpec {
  containers: ContainerSpec[];
  initContainers?: ContainerSpec[];
  volumes?: Loose[];
  securityContext?: Loose;
}

/**
 * How each image we build starts, from the final stage of its Dockerfile (a test holds this table to
 * them). The images run the compiled `dist/*.js`; the walk runs the same module from `src` with tsx,
 * so `modules` maps each dist file the image runs to the TypeScript entry point in this repository.
 */
export interface ImageRuntime {
  dockerfile: string;
  user: number;
  group: number;
  workdir: string;
  env: Record<string, string>;
  entrypoint: string[];
  cmd: string[];
  modules: Record<string, string>;
}

export const APP_IMAGES: Record<string, ImageRuntime> = {
  'secure-workshop/api': {
    dockerfile: 'apps/api/Dockerfile',
    user: 10001,
    group: 10001,
    workdir: '/app/apps/api',
    env: {
      NODE_ENV: 'production',
      NODE_OPTIONS: '--conditions=production',
      HOST: '0.0.0.0',
      PORT: '3000',
      METRICS_PORT: '9464',
    },
    entrypoint: [],
    cmd: ['node', 'dist/server.js'],
    modules: { 'dist/server.js': 'apps/api/src/server.ts', 'dist/migrate.js': 'apps/api/src/migrate.ts' },
  },
  'secure-workshop/reconciler': {
    dockerfile: 'apps/reconciler/Dockerfile',
    user: 10001,
    group: 10001,
    workdir: '/app',
    env: { NODE_ENV: 'production' },
    entrypoint: ['node', 'dist/reconciler/src/main.js'],
    cmd: [],
    modules: { 'dist/reconciler/src/main.js': 'apps/reconciler/src/main.ts' },
  },
  'secure-workshop/backup': {
    dockerfile: 'apps/backup/Dockerfile',
    user: 10001,
    group: 10001,
    workdir: '/app',
    env: { NODE_ENV: 'production', TMPDIR: '/tmp' },
    entrypoint: ['node', 'dist/backup/src/main.js'],
    cmd: ['backup'],
    modules: { 'dist/backup/src/main.js': 'apps/backup/src/main.ts' },
  },
};

/**
 * Image settings the walk leaves out, and why. `--conditions=production` makes Node load the
 * contracts package's compiled dist, which a checkout does not have: from src tsx loads its TypeScript.
 */
export const LEFT_OUT_IMAGE_ENV: Record<string, string> = {
  NODE_OPTIONS: "selects the contracts package's compiled dist; from src tsx loads the TypeScript",
};

/** The image's repository: `secure-workshop/api:0.1.0-abc` and `postgres:17.11-alpine` without the tag. */
export function imageRepository(image: string): string {
  const at = image.indexOf('@');
  const withoutDigest = at === -1 ? image : image.slice(0, at);
  const colon = withoutDigest.lastIndexOf(':');
  return colon > withoutDigest.lastIndexOf('/') ? withoutDigest.slice(0, colon) : withoutDigest;
}

/** Kubernetes' rule: `command` replaces the entrypoint (and drops the image's cmd), `args` the cmd. */
export function effectiveArgv(
  container: ContainerSpec,
  image: { entrypoint: string[]; cmd: string[] },
): string[] {
  if (container.command !== undefined) return [...container.command, ...(container.args ?? [])];
  return [...image.entrypoint, ...(container.args ?? image.cmd)];
}

/** `node dist/x.js args` of an app image as the repository's `src/x.ts` (null when it is not node). */
export function appEntryPoint(
  argv: readonly string[],
  runtime: ImageRuntime,
): { module: string; args: string[] } {
  const [program, script, ...args] = argv;
  const module = script === undefined ? undefined : runtime.modules[script];
  if (program !== 'node' || module === undefined) {
    throw new WalkError(
      `the walk cannot run '${argv.join(' ')}' of ${runtime.dockerfile}: add the module to APP_IMAGES in tools/walk/pods.ts`,
    );
  }
  return { module, args };
}

export interface Mount {
  containerPath: string;
  localPath: string;
}

/** A container path under one of the container's mounts, on this machine; other values unchanged. */
export function rewritePath(value: string, mounts: readonly Mount[]): string {
  if (!value.startsWith('/')) return value;
  let best: Mount | undefined;
  for (const mount of mounts) {
    const inside = value === mount.containerPath || value.startsWith(`${mount.containerPath}/`);
    if (inside && (best === undefined || mount.containerPath.length > best.containerPath.length))
      best = mount;
  }
  if (best === undefined) return value;
  return path.join(best.localPath, value.slice(best.containerPath.length));
}

/** An argument that is a path, or `name=path` (`-c ssl_cert_file=/etc/...`, `--host=/var/run/...`). */
export function rewriteArgument(argument: string, mounts: readonly Mount[]): string {
  const setting = /^(-{0,2}[A-Za-z_][\w.-]*=)(\/.*)$/.exec(argument);
  if (setting) return `${setting[1]}${rewritePath(setting[2] as string, mounts)}`;
  return rewritePath(argument, mounts);
}

/** Secrets and ConfigMaps of the step, by name (undefined: the step has none of that name). */
export interface DataLookup {
  secret(name: string): Record<string, string> | undefined;
  configMap(name: string): Record<string, string> | undefined;
}

export interface EnvContext {
  lookup: DataLookup;
  mounts: readonly Mount[];
  /** The pod's address: a value of 0.0.0.0 (listen everywhere in the pod) becomes it. */
  podIp: string | undefined;
  namespace: string;
  podName: string;
}

function keyOf(
  kind: 'Secret' | 'ConfigMap',
  ref: Loose,
  context: EnvContext,
  where: string,
): string | undefined {
  const data = kind === 'Secret' ? context.lookup.secret(ref.name) : context.lookup.configMap(ref.name);
  const value = data?.[ref.key as string];
  if (value === undefined && ref.optional !== true) {
    throw new WalkError(
      `${where} reads ${kind} ${ref.name} key ${ref.key}, which this step does not have (the pod would not start: CreateContainerConfigError)`,
    );
  }
  return value;
}

/** `$(NAME)` references to earlier variables, as the kubelet expands them; `$$` is a literal `$`. */
function expand(value: string, env: Record<string, string>): string {
  return value.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (whole, name: string | undefined) => {
    if (name === undefined) return '$';
    return env[name] ?? whole;
  });
}

/**
 * The container's environment as its process sees it: the image's ENV, then `envFrom`, then `env`
 * (values, Secret and ConfigMap keys, a few fields). Literal paths under a mount are rewritten to
 * where that volume is here; Secret values are never rewritten.
 */
export function resolveEnv(
  container: ContainerSpec,
  imageEnv: Record<string, string>,
  context: EnvContext,
): Record<string, string> {
  const where = `container ${container.name} of ${context.podName}`;
  const literal = (value: string) => {
    const network =
      context.podIp !== undefined && (value === '0.0.0.0' || value === '::') ? context.podIp : value;
    return rewritePath(network, context.mounts);
  };
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(imageEnv)) {
    if (!(name in LEFT_OUT_IMAGE_ENV)) env[name] = literal(value);
  }
  for (const source of container.envFrom ?? []) {
    const kind = source.secretRef ? 'Secret' : 'ConfigMap';
    const ref = source.secretRef ?? source.configMapRef;
    const data = kind === 'Secret' ? context.lookup.secret(ref.name) : context.lookup.configMap(ref.name);
    if (data === undefined && ref.optional !== true)
      throw new WalkError(
        `${where} takes its environment from ${kind} ${ref.name}, which this step does not have`,
      );
    for (const [key, value] of Object.entries(data ?? {})) env[`${source.prefix ?? ''}${key}`] = value;
  }
  for (const entry of container.env ?? []) {
    const name = entry.name as string;
    if (typeof entry.value === 'string') {
      env[name] = literal(expand(entry.value, env));
      continue;
    }
    const from = entry.valueFrom ?? {};
    let value: string | undefined;
    if (from.secretKeyRef) value = keyOf('Secret', from.secretKeyRef, context, `env ${name} of ${where}`);
    else if (from.configMapKeyRef)
      value = keyOf('ConfigMap', from.configMapKeyRef, context, `env ${name} of ${where}`);
    else if (from.fieldRef) value = fieldValue(from.fieldRef.fieldPath as string, context);
    else if (entry.value === undefined && Object.keys(from).length === 0) value = '';
    else throw new WalkError(`env ${name} of ${where}: the walk does not know ${JSON.stringify(from)}`);
    if (value !== undefined) env[name] = value;
  }
  return env;
}

function fieldValue(field: string, context: EnvContext): string {
  switch (field) {
    case 'metadata.namespace':
      return context.namespace;
    case 'metadata.name':
      return context.podName;
    case 'status.podIP':
      return context.podIp ?? '127.0.0.1';
    default:
      throw new WalkError(`fieldRef ${field} is not known to the walk`);
  }
}

/** One file of a Secret or ConfigMap volume, as the kubelet writes it. */
export interface VolumeFile {
  path: string;
  content: string;
  mode: number;
}

export type VolumePlan =
  | { name: string; kind: 'files'; source: string; files: VolumeFile[]; gid: number | undefined }
  | { name: string; kind: 'emptyDir' }
  | { name: string; kind: 'claim'; claim: string };

/**
 * A Secret or ConfigMap volume's files: every key (or the listed items), mode from the item or
 * defaultMode (0644). With an fsGroup the kubelet makes them group-owned and group-readable.
 */
export function plannedVolume(
  volume: Loose,
  lookup: DataLookup,
  fsGroup: number | undefined,
  podName: string,
): VolumePlan {
  const name = volume.name as string;
  if (volume.emptyDir !== undefined) return { name, kind: 'emptyDir' };
  if (volume.persistentVolumeClaim !== undefined)
    return { name, kind: 'claim', claim: volume.persistentVolumeClaim.claimName as string };
  const source = volume.secret ?? volume.configMap;
  if (source === undefined)
    throw new WalkError(
      `volume ${name} of ${podName}: the walk knows secret, configMap, emptyDir and claims only`,
    );
  const kind = volume.secret !== undefined ? 'Secret' : 'ConfigMap';
  const sourceName = (volume.secret?.secretName ?? volume.configMap?.name) as string;
  const data = kind === 'Secret' ? lookup.secret(sourceName) : lookup.configMap(sourceName);
  if (data === undefined) {
    if (source.optional === true)
      return { name, kind: 'files', source: `${kind} ${sourceName}`, files: [], gid: fsGroup };
    throw new WalkError(
      `${podName} mounts ${kind} ${sourceName}, which this step does not have (the pod would stay in ContainerCreating)`,
    );
  }
  const defaultMode = (source.defaultMode as number | undefined) ?? 0o644;
  const groupRead = fsGroup === undefined ? 0 : 0o440;
  const items: { key: string; path: string; mode?: number }[] =
    source.items ?? Object.keys(data).map((key) => ({ key, path: key }));
  const files = items.map((item) => {
    const content = data[item.key];
    if (content === undefined)
      throw new WalkError(
        `${podName} mounts key ${item.key} of ${kind} ${sourceName}, which it does not have`,
      );
    return { path: item.path, content, mode: (item.mode ?? defaultMode) | groupRead };
  });
  return { name, kind: 'files', source: `${kind} ${sourceName}`, files, gid: fsGroup };
}

/** The process identity: container over pod over image; fsGroup and supplementalGroups added. */
export function processIdentity(
  pod: PodSpec,
  container: ContainerSpec,
  image: { user: number; group: number },
): { uid: number; gid: number; groups: number[]; noNewPrivileges: boolean } {
  const podContext = pod.securityContext ?? {};
  const own = container.securityContext ?? {};
  const setUser = (own.runAsUser ?? podContext.runAsUser) as number | undefined;
  const uid = setUser ?? image.user;
  // runAsUser without runAsGroup: the runtime looks the uid up in the image's /etc/passwd, where
  // our numeric users have no entry, and runs with group 0.
  const gid = (own.runAsGroup ??
    podContext.runAsGroup ??
    (setUser === undefined ? image.group : 0)) as number;
  const groups = [
    ...(podContext.fsGroup === undefined ? [] : [podContext.fsGroup as number]),
    ...((podContext.supplementalGroups as number[] | undefined) ?? []),
  ];
  return { uid, gid, groups: [...new Set(groups)], noNewPrivileges: own.allowPrivilegeEscalation === false };
}

/** The port a Service's targetPort means for a container: a number, or the name of a container port. */
export function containerPort(pod: PodSpec, target: number | string): number | undefined {
  if (typeof target === 'number') return target;
  for (const container of pod.containers) {
    const port = container.ports?.find((entry) => entry.name === target);
    if (port) return port.containerPort;
  }
  return undefined;
}
