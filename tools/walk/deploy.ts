// A step applied locally, as `pulumi up` and the cluster would: certificates issued from the stack's
// CA, each Service an address in the walk's network namespace, and each workload's pod run as
// processes from its rendered spec. Between steps, like a cluster: a workload whose pod template did
// not change keeps running (its Secret and ConfigMap volumes are refreshed), a changed one is replaced,
// a Job runs again when its spec changed, and volume claims (PostgreSQL's data) stay.
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import { connect } from 'node:net';
import * as path from 'node:path';
import { FirewallStandIn, loadFirewallConfig } from './firewall-stand-in';
import { type IssuedSecret, issue, issuerAuthority } from './issuer';
import type { ServiceNetwork } from './network';
import { type KubeObject, type RenderedStep, WalkError } from './objects';
import {
  APP_IMAGES,
  type ContainerSpec,
  type DataLookup,
  type Mount,
  type PodSpec,
  type VolumePlan,
  appEntryPoint,
  containerPort,
  effectiveArgv,
  imageRepository,
  plannedVolume,
  processIdentity,
  resolveEnv,
  rewriteArgument,
} from './pods';
import { startPostgresContainer, tail } from './postgres-image';
import { ContainerProcess, type Identity, runAs, waitFor } from './processes';
import type { LocalFacts } from './scenario-types';

const POSTGRES_IMAGE = 'postgres';
const JUMPWIRE_IMAGE = 'ghcr.io/extragoodlabs/jumpwire';
/** The official postgres image's uid/gid (Alpine); here the OS user `postgres` plays it. */
const IMAGE_POSTGRES_ID = 70;
/** The uid JumpWire's image runs as; only its file permissions are checked (the stand-in runs in the walk). */
const JUMPWIRE_UID = 1000;

/** Workloads the walk does not run, and why: they are experiments of the cluster only. */
export const CLUSTER_ONLY_WORKLOADS: Record<string, string> = {
  'jumpwire-smoke-test': "checks JumpWire's encryption, which the stand-in does not do",
};

export interface LocalClusterOptions {
  root: string;
  repoRoot: string;
  binDir: string;
  network: ServiceNetwork;
  namespace: string;
}

interface RunningPod {
  name: string;
  dir: string;
  spec: PodSpec;
  volumeDirs: Map<string, string>;
  containers: { spec: ContainerSpec; process?: ContainerProcess; standIn?: FirewallStandIn }[];
}

interface Workload {
  template: string;
  pod: RunningPod;
}

export interface JobRun {
  status: number;
  output: string;
  attempts: number;
}

function seconds(started: number): string {
  return ` (${((Date.now() - started) / 1000).toFixed(1)} s)`;
}

function readable(file: string, identity: Identity): boolean {
  const { uid, gid, mode } = statSync(file);
  if (identity.uid === uid) return (mode & 0o400) !== 0;
  if (identity.gid === gid || identity.groups.includes(gid)) return (mode & 0o040) !== 0;
  return (mode & 0o004) !== 0;
}

function httpGet(url: string): Promise<number> {
  return new Promise((resolve) => {
    const client = url.startsWith('https:') ? https : http;
    const request = client.get(url, { timeout: 2000, rejectUnauthorized: false }, (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    });
    request.on('error', () => resolve(0));
    request.on('timeout', () => request.destroy());
  });
}

function tcpOpen(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, host);
    socket.setTimeout(1000, () => socket.destroy());
    socket.on('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
    socket.on('close', () => resolve(false));
  });
}

export class LocalCluster {
  private step: RenderedStep | undefined;
  private readonly issued = new Map<string, { key: string; data: IssuedSecret }>();
  private readonly workloads = new Map<string, Workload>();
  private readonly jobSpecs = new Map<string, string>();
  private generation = 0;
  private readonly postgresIds: { uid: number; gid: number };

  constructor(private readonly options: LocalClusterOptions) {
    const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres']).toString().trim());
    this.postgresIds = { uid: id('-u'), gid: id('-g') };
    for (const dir of ['pods', 'claims', 'logs'])
      mkdirSync(path.join(options.root, dir), { recursive: true, mode: 0o711 });
  }

  /** Applies a rendered step; returns one line per thing it did. Throws WalkError when a pod cannot run. */
  async apply(step: RenderedStep): Promise<string[]> {
    this.step = step;
    const notes: string[] = [];
    await this.issueCertificates(step, notes);
    const ordered = step.workloadsInOrder();
    await this.wireServices(step, ordered);
    const present = new Set(ordered.map((object) => `${object.kind}/${object.metadata.name}`));
    for (const [key, workload] of [...this.workloads]) {
      if (!present.has(key)) {
        await this.stopPod(workload.pod);
        this.workloads.delete(key);
        notes.push(`${key} removed`);
      }
    }
    for (const object of ordered) {
      const key = `${object.kind}/${object.metadata.name}`;
      if (object.kind === 'Job') {
        const reason = CLUSTER_ONLY_WORKLOADS[object.metadata.name];
        if (reason !== undefined) {
          notes.push(`${key} not run: ${reason}`);
          continue;
        }
        const spec = JSON.stringify(object.spec);
        if (this.jobSpecs.get(key) === spec) continue;
        const started = Date.now();
        const run = await this.runJob(object.metadata.name, object.spec as unknown as JobSpecLike);
        if (run.status !== 0)
          throw new WalkError(`${key} failed after ${run.attempts} attempt(s): ${tail(run.output)}`);
        this.jobSpecs.set(key, spec);
        notes.push(`${key} completed${seconds(started)}`);
        continue;
      }
      const template = (object.spec?.template ?? {}) as { metadata?: unknown; spec: PodSpec };
      const templateText = JSON.stringify(template);
      const running = this.workloads.get(key);
      if (running?.template === templateText) {
        this.refreshVolumes(running.pod);
        continue;
      }
      if (running) await this.stopPod(running.pod);
      this.workloads.delete(key);
      const podName = object.kind === 'StatefulSet' ? `${object.metadata.name}-0` : object.metadata.name;
      const claims = this.claimsOf(object);
      const started = Date.now();
      const pod = await this.startPod(podName, template.spec, this.podAddress(template), claims);
      this.workloads.set(key, { template: templateText, pod });
      notes.push(`${key} ${running ? 'replaced (its pod template changed)' : 'started'}${seconds(started)}`);
    }
    return notes;
  }

  /** Runs a CronJob's job template once, now. */
  async runCronJob(name: string): Promise<JobRun> {
    const cronJob = this.current.get('CronJob', name);
    const jobTemplate = (cronJob.spec?.jobTemplate as { spec?: JobSpecLike } | undefined)?.spec;
    if (jobTemplate === undefined) throw new WalkError(`CronJob ${name} has no job template`);
    return this.runJob(`${name}-manual`, jobTemplate);
  }

  /** What `kubectl logs <kind>/<name>` shows: the first container's output. */
  logs(reference: string): string {
    const [alias, name] = reference.split('/') as [string, string];
    const kind = {
      deploy: 'Deployment',
      deployment: 'Deployment',
      sts: 'StatefulSet',
      statefulset: 'StatefulSet',
    }[alias];
    const workload = kind === undefined ? undefined : this.workloads.get(`${kind}/${name}`);
    if (workload === undefined) throw new WalkError(`no running ${reference}`);
    return workload.pod.containers[0]?.process?.output ?? '';
  }

  async stopAll(): Promise<void> {
    for (const workload of [...this.workloads.values()].reverse()) await this.stopPod(workload.pod);
    this.workloads.clear();
    this.jobSpecs.clear();
    await this.options.network.closeAll();
  }

  facts(): LocalFacts {
    const step = this.current;
    const network = this.options.network;
    const lookup = this.lookup();
    return {
      namespace: this.options.namespace,
      serviceIp: (name) => {
        const address = network.lookup(name);
        if (address === undefined) throw new WalkError(`this step has no Service ${name}`);
        return address;
      },
      servicePort: (name) => {
        const port = (step.get('Service', name).spec?.ports as { port: number }[] | undefined)?.[0]?.port;
        if (port === undefined) throw new WalkError(`Service ${name} has no port`);
        return port;
      },
      secret: (name, key) => {
        const value = lookup.secret(name)?.[key];
        if (value === undefined) throw new WalkError(`this step has no Secret ${name} with key ${key}`);
        return value;
      },
      configMap: (name, key) => {
        const value = lookup.configMap(name)?.[key];
        if (value === undefined) throw new WalkError(`this step has no ConfigMap ${name} with key ${key}`);
        return value;
      },
      workshopClientSecret: () =>
        step.output('random:index/randomPassword:RandomPassword', 'api-workshop-client-secret', 'result'),
    };
  }

  /** Values output must never show: the step's generated values and the keys the walk issued. */
  secretValues(): string[] {
    return [
      ...(this.step?.secretValues() ?? []),
      ...[...this.issued.values()].map((entry) => entry.data['tls.key']),
    ];
  }

  private get current(): RenderedStep {
    if (this.step === undefined) throw new WalkError('no step applied yet');
    return this.step;
  }

  private lookup(): DataLookup {
    const step = this.current;
    return {
      secret: (name) => {
        const issued = this.issued.get(name);
        if (issued !== undefined) return { ...issued.data };
        return step.dataOf('Secret', name);
      },
      configMap: (name) => step.dataOf('ConfigMap', name),
    };
  }

  /** cert-manager: one Secret per Certificate, re-issued only when the Certificate or its CA changed. */
  private async issueCertificates(step: RenderedStep, notes: string[]): Promise<void> {
    const wanted = new Set<string>();
    for (const certificate of step.all('Certificate')) {
      const spec = certificate.spec as { secretName: string; issuerRef: { name: string; kind?: string } };
      wanted.add(spec.secretName);
      const issuer = step.find(
        spec.issuerRef.kind ?? 'Issuer',
        spec.issuerRef.name,
        spec.issuerRef.kind === 'ClusterIssuer' ? null : step.namespace,
      );
      if (issuer === undefined)
        throw new WalkError(
          `Certificate ${certificate.metadata.name} names ${spec.issuerRef.kind ?? 'Issuer'} ${spec.issuerRef.name}, which this step does not have`,
        );
      const authority = issuerAuthority(issuer, (name) => step.dataOf('Secret', name, 'cert-manager'));
      const key = JSON.stringify([certificate.spec, authority.cert]);
      if (this.issued.get(spec.secretName)?.key === key) continue;
      this.issued.set(spec.secretName, { key, data: await issue(certificate, authority) });
      notes.push(`Certificate ${certificate.metadata.name} issued into Secret ${spec.secretName}`);
    }
    for (const name of [...this.issued.keys()]) if (!wanted.has(name)) this.issued.delete(name);
  }

  /** The pod's address: the address of the (first) Service that selects it. */
  private podAddress(template: { metadata?: unknown }): string | undefined {
    const labels = (template.metadata as { labels?: Record<string, string> } | undefined)?.labels ?? {};
    for (const service of this.current.all('Service')) {
      const selector = (service.spec?.selector ?? {}) as Record<string, string>;
      const keys = Object.keys(selector);
      if (keys.length > 0 && keys.every((key) => labels[key] === selector[key]))
        return this.options.network.address(service.metadata.name);
    }
    return undefined;
  }

  /** Addresses and names for every Service; a forward where the port is not the target port. */
  private async wireServices(step: RenderedStep, workloads: KubeObject[]): Promise<void> {
    const keep = new Set<string>();
    for (const service of step.all('Service')) {
      const address = this.options.network.address(service.metadata.name);
      const selector = (service.spec?.selector ?? {}) as Record<string, string>;
      const target = workloads.find((workload) => {
        const labels =
          (workload.spec?.template as { metadata?: { labels?: Record<string, string> } } | undefined)
            ?.metadata?.labels ?? {};
        return (
          Object.keys(selector).length > 0 &&
          Object.entries(selector).every(([key, value]) => labels[key] === value)
        );
      });
      const pod = (target?.spec?.template as { spec?: PodSpec } | undefined)?.spec;
      for (const port of (service.spec?.ports ?? []) as { port: number; targetPort?: number | string }[]) {
        const targetPort = pod === undefined ? undefined : containerPort(pod, port.targetPort ?? port.port);
        if (targetPort === undefined || targetPort === port.port) continue;
        await this.options.network.forward(address, port.port, targetPort);
        keep.add(`${address}:${port.port}`);
      }
    }
    await this.options.network.keepOnly(keep);
  }

  private claimsOf(object: KubeObject): Map<string, string> {
    const claims = new Map<string, string>();
    if (object.kind !== 'StatefulSet') return claims;
    for (const template of (object.spec?.volumeClaimTemplates ?? []) as { metadata: { name: string } }[]) {
      claims.set(template.metadata.name, `${template.metadata.name}-${object.metadata.name}-0`);
    }
    return claims;
  }

  /** An id of the images' world as this machine's: the postgres image's 70 is the OS user postgres. */
  private localId(id: number, kind: 'uid' | 'gid'): number {
    return id === IMAGE_POSTGRES_ID ? this.postgresIds[kind] : id;
  }

  private localIdentity(identity: Identity): Identity {
    return {
      uid: this.localId(identity.uid, 'uid'),
      gid: this.localId(identity.gid, 'gid'),
      groups: identity.groups.map((group) => this.localId(group, 'gid')),
      noNewPrivileges: identity.noNewPrivileges ?? false,
    };
  }

  /** Who the container's process is here: the pod's and image's users, the image's 70 as postgres. */
  private identityOf(spec: PodSpec, container: ContainerSpec): Identity {
    const repository = imageRepository(container.image);
    const image =
      APP_IMAGES[repository] ??
      (repository === JUMPWIRE_IMAGE ? { user: JUMPWIRE_UID, group: JUMPWIRE_UID } : { user: 0, group: 0 });
    const identity = this.localIdentity(processIdentity(spec, container, image));
    // Started as root, the postgres image's entrypoint re-executes itself as `postgres`.
    if (repository === POSTGRES_IMAGE && container.command === undefined && identity.uid === 0)
      return { ...identity, uid: this.postgresIds.uid, gid: this.postgresIds.gid };
    return identity;
  }

  private writeVolume(dir: string, plan: VolumePlan): void {
    if (plan.kind !== 'files') return;
    const gid = plan.gid === undefined ? 0 : this.localId(plan.gid, 'gid');
    for (const file of plan.files) {
      const target = path.join(dir, file.path);
      mkdirSync(path.dirname(target), { recursive: true, mode: 0o755 });
      writeFileSync(target, file.content, { mode: file.mode });
      chmodSync(target, file.mode);
      chownSync(target, 0, gid);
    }
  }

  private refreshVolumes(pod: RunningPod): void {
    const lookup = this.lookup();
    const fsGroup = pod.spec.securityContext?.fsGroup as number | undefined;
    for (const volume of pod.spec.volumes ?? []) {
      const plan = plannedVolume(volume, lookup, fsGroup, pod.name);
      const dir = pod.volumeDirs.get(plan.name);
      if (dir !== undefined) this.writeVolume(dir, plan);
    }
  }

  private async startPod(
    name: string,
    spec: PodSpec,
    address: string | undefined,
    claims: Map<string, string>,
  ): Promise<RunningPod> {
    this.generation += 1;
    const lookup = this.lookup();
    const fsGroup = spec.securityContext?.fsGroup as number | undefined;
    // The pod's folder: passable to the pod's own processes only when they share a group.
    const groups = new Set(spec.containers.map((container) => this.identityOf(spec, container).gid));
    const podGid =
      fsGroup !== undefined ? this.localId(fsGroup, 'gid') : groups.size === 1 ? [...groups][0] : undefined;
    const dir = path.join(this.options.root, 'pods', `${name}.${this.generation}`);
    mkdirSync(dir, { mode: 0o700 });
    chownSync(dir, 0, podGid ?? 0);
    chmodSync(dir, podGid === undefined ? 0o711 : 0o710);
    const pod: RunningPod = { name, dir, spec, volumeDirs: new Map(), containers: [] };
    for (const volume of spec.volumes ?? []) {
      const plan = plannedVolume(volume, lookup, fsGroup, name);
      let volumeDir: string;
      if (plan.kind === 'claim') {
        volumeDir = path.join(this.options.root, 'claims', plan.claim);
      } else {
        volumeDir = path.join(dir, 'volumes', plan.name);
      }
      if (!existsSync(volumeDir)) {
        mkdirSync(volumeDir, { recursive: true });
        // emptyDir and local-path volumes are world-writable; Secret and ConfigMap folders readable.
        chmodSync(volumeDir, plan.kind === 'files' ? 0o755 : 0o777);
      }
      this.writeVolume(volumeDir, plan);
      pod.volumeDirs.set(plan.name, volumeDir);
    }
    for (const [template, claim] of claims) {
      const claimDir = path.join(this.options.root, 'claims', claim);
      if (!existsSync(claimDir)) {
        mkdirSync(claimDir, { recursive: true });
        chmodSync(claimDir, 0o777);
      }
      pod.volumeDirs.set(template, claimDir);
    }
    try {
      for (const container of spec.containers)
        pod.containers.push(await this.startContainer(pod, container, address));
      for (const entry of pod.containers) await this.waitReady(pod, entry, address);
    } catch (error) {
      await this.stopPod(pod);
      throw error;
    }
    return pod;
  }

  private mountsOf(pod: RunningPod, container: ContainerSpec): Mount[] {
    return (container.volumeMounts ?? []).map((mount) => {
      const local = pod.volumeDirs.get(mount.name);
      if (local === undefined)
        throw new WalkError(
          `${pod.name}/${container.name} mounts ${mount.name}, which is not a volume of the pod`,
        );
      return {
        containerPath: mount.mountPath,
        localPath: mount.subPath ? path.join(local, mount.subPath) : local,
      };
    });
  }

  private logFile(pod: RunningPod, container: ContainerSpec): string {
    return path.join(this.options.root, 'logs', `${path.basename(pod.dir)}.${container.name}.log`);
  }

  private basePath(): string {
    return [path.dirname(process.execPath), this.options.binDir, process.env.PATH ?? '/usr/bin:/bin'].join(
      ':',
    );
  }

  private async startContainer(
    pod: RunningPod,
    container: ContainerSpec,
    address: string | undefined,
  ): Promise<RunningPod['containers'][number]> {
    const mounts = this.mountsOf(pod, container);
    const repository = imageRepository(container.image);
    const context = {
      lookup: this.lookup(),
      mounts,
      podIp: address,
      namespace: this.options.namespace,
      podName: pod.name,
    };
    const where = `${pod.name}/${container.name}`;
    const app = APP_IMAGES[repository];
    if (app !== undefined) {
      const env = { PATH: this.basePath(), HOME: '/', ...resolveEnv(container, app.env, context) };
      const argv = effectiveArgv(container, app).map((argument) => rewriteArgument(argument, mounts));
      const entry = appEntryPoint(argv, app);
      const identity = this.identityOf(pod.spec, container);
      const process_ = ContainerProcess.start({
        name: where,
        argv: [
          process.execPath,
          '--import',
          'tsx',
          path.join(this.options.repoRoot, entry.module),
          ...entry.args,
        ],
        env,
        cwd: this.options.repoRoot,
        identity,
        logFile: this.logFile(pod, container),
      });
      return { spec: container, process: process_ };
    }
    if (repository === POSTGRES_IMAGE) {
      const image = { user: 0, group: 0, entrypoint: ['docker-entrypoint.sh'], cmd: ['postgres'] };
      const env = { PATH: this.basePath(), ...resolveEnv(container, {}, context) };
      const identity = this.identityOf(pod.spec, container);
      if (container.command === undefined) {
        const socketDir = mounts.find((mount) => mount.containerPath === '/var/run/postgresql')?.localPath;
        if (socketDir === undefined || address === undefined)
          throw new WalkError(
            `${where}: the walk needs /var/run/postgresql mounted and a Service for the server`,
          );
        const started = await startPostgresContainer({
          name: where,
          env,
          args: (container.args ?? []).map((argument) => rewriteArgument(argument, mounts)),
          socketDir,
          initScriptsDir: mounts.find((mount) => mount.containerPath === '/docker-entrypoint-initdb.d')
            ?.localPath,
          identity,
          listenAddress: address,
          binDir: this.options.binDir,
          scratchDir: path.join(this.options.root, 'pods'),
          logFile: this.logFile(pod, container),
        });
        return { spec: container, process: started.process };
      }
      const argv = effectiveArgv(container, image).map((argument) => rewriteArgument(argument, mounts));
      const process_ = ContainerProcess.start({
        name: where,
        argv,
        env,
        cwd: '/',
        identity,
        logFile: this.logFile(pod, container),
      });
      return { spec: container, process: process_ };
    }
    if (repository === JUMPWIRE_IMAGE)
      return { spec: container, standIn: await this.startStandIn(pod, container, context, address) };
    throw new WalkError(`${where}: the walk cannot run the image ${container.image}`);
  }

  /** The FIREWALL STAND-IN, configured from the JumpWire container's environment and files. */
  private async startStandIn(
    pod: RunningPod,
    container: ContainerSpec,
    context: Parameters<typeof resolveEnv>[2],
    address: string | undefined,
  ): Promise<FirewallStandIn> {
    const where = `${pod.name}/${container.name}`;
    const env = resolveEnv(container, {}, context);
    const required = (name: string) => {
      const value = env[name];
      if (value === undefined || value === '') throw new WalkError(`${where}: ${name} is not set`);
      return value;
    };
    // JumpWire runs as uid 1000: its files must be readable to it, not just to the walk.
    const identity = this.identityOf(pod.spec, container);
    const files = ['JUMPWIRE_TLS_CERT', 'JUMPWIRE_TLS_KEY', 'JUMPWIRE_TLS_CA'].map(required);
    const configDir = required('JUMPWIRE_CONFIG_PATH');
    for (const file of [
      ...files,
      ...execFileSync('find', [configDir, '-type', 'f', '-name', '*.y*ml'])
        .toString()
        .split('\n')
        .filter(Boolean),
    ]) {
      if (!readable(file, identity))
        throw new WalkError(
          `${where}: ${file} is not readable to uid ${identity.uid} (groups ${identity.groups.join(',')})`,
        );
    }
    if (address === undefined) throw new WalkError(`${where}: no Service selects the firewall`);
    const [cert, key, ca] = files.map((file) => readFileSync(file, 'utf8')) as [string, string, string];
    const logFile = this.logFile(pod, container);
    const standIn = new FirewallStandIn({
      listen: { host: address, port: Number(env.JUMPWIRE_POSTGRES_PROXY_PORT ?? 5432) },
      tls: { cert, key },
      upstreamCa: env.JUMPWIRE_TLS_PROXY_CA ? readFileSync(env.JUMPWIRE_TLS_PROXY_CA, 'utf8') : ca,
      secret: required('JUMPWIRE_ROOT_TOKEN'),
      config: loadFirewallConfig(configDir),
      log: (line) => writeFileSync(logFile, `${line}\n`, { flag: 'a', mode: 0o600 }),
    });
    await standIn.start();
    return standIn;
  }

  private async waitReady(
    pod: RunningPod,
    entry: RunningPod['containers'][number],
    address: string | undefined,
  ): Promise<void> {
    const where = `${pod.name}/${entry.spec.name}`;
    const process_ = entry.process;
    if (process_ === undefined) return;
    const mounts = this.mountsOf(pod, entry.spec);
    const probe = entry.spec.readinessProbe;
    const abort = () => (process_.running ? undefined : `exited: ${tail(process_.output)}`);
    let check: () => Promise<boolean>;
    if (probe?.exec !== undefined) {
      const argv = (probe.exec.command as string[]).map((argument) => rewriteArgument(argument, mounts));
      const identity = this.identityOf(pod.spec, entry.spec);
      const env = { PATH: this.basePath() };
      check = async () => (await runAs(identity, argv, { env, cwd: '/' })).status === 0;
    } else if (probe?.httpGet !== undefined) {
      const port = containerPort(pod.spec, probe.httpGet.port as number | string);
      const scheme = String(probe.httpGet.scheme ?? 'HTTP').toLowerCase();
      const url = `${scheme}://${address ?? '127.0.0.1'}:${port}${String(probe.httpGet.path ?? '/')}`;
      check = async () => {
        const status = await httpGet(url);
        return status >= 200 && status < 400;
      };
    } else {
      // No probe: ready for Kubernetes at once; the walk waits until every declared port listens.
      const ports = (entry.spec.ports ?? []).map((port) => port.containerPort);
      check = async () =>
        (await Promise.all(ports.map((port) => tcpOpen(address ?? '127.0.0.1', port)))).every(Boolean);
    }
    await waitFor(`${where} ready`, check, { timeoutMs: 120_000, intervalMs: 250, abort });
  }

  private async stopPod(pod: RunningPod): Promise<void> {
    for (const entry of [...pod.containers].reverse()) {
      await entry.standIn?.stop();
      // The postgres image's STOPSIGNAL is SIGINT (fast shutdown); the runtime sends it.
      const signal =
        imageRepository(entry.spec.image) === POSTGRES_IMAGE && entry.spec.command === undefined
          ? 'SIGINT'
          : 'SIGTERM';
      await entry.process?.stop(signal);
    }
    // A pod's own volumes (emptyDir, Secret and ConfigMap files) go with it; claims stay.
    rmSync(pod.dir, { recursive: true, force: true });
  }

  /** A Job: one pod at a time until it succeeds, at most backoffLimit + 1 pods, within its deadline. */
  private async runJob(name: string, spec: JobSpecLike): Promise<JobRun> {
    const attempts = (spec.backoffLimit ?? 6) + 1;
    const deadline = Date.now() + (spec.activeDeadlineSeconds ?? 600) * 1000;
    let last = { status: 1, output: '' };
    for (let attempt = 1; attempt <= attempts; attempt += 1) {
      const pod = await this.startPod(`${name}-${attempt}`, spec.template.spec, undefined, new Map());
      const process_ = pod.containers[0]?.process;
      if (process_ === undefined) throw new WalkError(`Job ${name}: nothing to run`);
      const timer = setTimeout(() => void process_.stop('SIGTERM', 5000), Math.max(0, deadline - Date.now()));
      const status = (await process_.exited) ?? 1;
      clearTimeout(timer);
      await this.stopPod(pod);
      last = { status, output: process_.output };
      if (status === 0 || Date.now() > deadline) return { ...last, attempts: attempt };
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
    return { ...last, attempts };
  }
}

interface JobSpecLike {
  backoffLimit?: number;
  activeDeadlineSeconds?: number;
  template: { spec: PodSpec };
}
