// Starts and stops the local control plane: etcd, kube-apiserver, kube-controller-manager,
// kube-scheduler and kwok, each in its own process group, all on 127.0.0.1, with every key in a
// 0700 state directory. `up` leaves them running; `down` stops every group and removes the state.
import { spawn, spawnSync } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import * as https from 'node:https';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import { type KubeObject, Kube, WaitAborted, waitFor } from './kube';
import { type Identity, PKI_FILES, certFile, keyFile, writePki } from './pki';
import type { Timer } from './timing';

/** A one-line failure the CLI prints as `cluster: <message>`. */
export class ClusterError extends Error {}

export const REPO_ROOT = path.resolve(__dirname, '..', '..');
export const NODE_NAME = 'kwok-node-0';
const LOOPBACK = '127.0.0.1';
// k3s's defaults, so Services and Pods get the addresses they would get on k3s.
const SERVICE_CIDR = '10.43.0.0/16';
const POD_CIDR = '10.42.0.0/24';
const SERVICE_ACCOUNT_ISSUER = 'https://kubernetes.default.svc.cluster.local';

export interface Ports {
  api: number;
  etcdClient: number;
  etcdPeer: number;
  controllerManager: number;
  scheduler: number;
}

export function portsFromEnv(env: NodeJS.ProcessEnv = process.env): Ports {
  const api = Number(env.CLUSTER_API_PORT ?? 6443);
  if (!Number.isInteger(api) || api < 1 || api > 65535)
    throw new ClusterError(`CLUSTER_API_PORT must be a port number, not '${env.CLUSTER_API_PORT}'`);
  return { api, etcdClient: 2379, etcdPeer: 2380, controllerManager: 10257, scheduler: 10259 };
}

export function defaultStateDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.CLUSTER_STATE_DIR) return path.resolve(env.CLUSTER_STATE_DIR);
  const base = env.XDG_STATE_HOME || path.join(os.homedir(), '.local', 'state');
  return path.join(base, 'secure-workshop', 'cluster');
}

export interface Layout {
  /** tools/cluster/build.sh's cache directory: bin/, crds/, kwok-stages.yaml. */
  build: string;
  /** The 0700 state directory: pki/, kubeconfigs, etcd data, logs, pid files. */
  state: string;
  ports: Ports;
}

const file = (layout: Layout, relative: string) => path.join(layout.state, relative);
/** The context every kubeconfig here names (a stack's `kubeContext` picks it). */
export const KUBE_CONTEXT = 'secure-workshop';
export const adminKubeconfig = (layout: Layout) => file(layout, 'admin.kubeconfig');

/** Client identities; users and groups are the ones Kubernetes' bootstrap RBAC roles name. */
const CLIENTS: Record<string, Identity> = {
  admin: { commonName: 'secure-workshop-admin', organization: 'system:masters', usage: 'client' },
  'controller-manager': { commonName: 'system:kube-controller-manager', usage: 'client' },
  scheduler: { commonName: 'system:kube-scheduler', usage: 'client' },
  // kwok plays the kubelet of every node it manages: its upstream ClusterRole, bound to this user.
  kwok: { commonName: 'kwok-controller', usage: 'client' },
};

function leafCertificates(): { cluster: Record<string, Identity>; etcd: Record<string, Identity> } {
  const loopback = { dnsNames: ['localhost'], ipAddresses: [LOOPBACK] };
  return {
    cluster: {
      ...CLIENTS,
      apiserver: {
        commonName: 'kube-apiserver',
        usage: 'server',
        dnsNames: [
          'localhost',
          'kubernetes',
          'kubernetes.default',
          'kubernetes.default.svc',
          'kubernetes.default.svc.cluster.local',
        ],
        // The first address of the service range is the `kubernetes` Service's ClusterIP.
        ipAddresses: [LOOPBACK, '10.43.0.1'],
      },
      'controller-manager-serving': { commonName: 'kube-controller-manager', usage: 'server', ...loopback },
      'scheduler-serving': { commonName: 'kube-scheduler', usage: 'server', ...loopback },
    },
    etcd: {
      'etcd-server': { commonName: 'etcd', usage: 'server', ...loopback },
      'etcd-peer': { commonName: 'etcd-peer', usage: 'peer', ...loopback },
      'apiserver-etcd-client': { commonName: 'kube-apiserver-etcd-client', usage: 'client' },
    },
  };
}

function kubeconfig(layout: Layout, user: string): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name: KUBE_CONTEXT,
        cluster: {
          server: `https://${LOOPBACK}:${layout.ports.api}`,
          'certificate-authority': file(layout, PKI_FILES.ca),
        },
      },
    ],
    users: [
      {
        name: user,
        user: {
          'client-certificate': file(layout, certFile(user)),
          'client-key': file(layout, keyFile(user)),
        },
      },
    ],
    contexts: [{ name: KUBE_CONTEXT, context: { cluster: KUBE_CONTEXT, user } }],
    'current-context': KUBE_CONTEXT,
  });
}

export interface Component {
  name: string;
  binary: string;
  args: string[];
  /** The loopback ports it listens on (checked free before anything starts). */
  ports: number[];
}

/** The command line of every process, in start order (pure: the tests read it). */
export function components(layout: Layout): Component[] {
  const { ports } = layout;
  const bin = (name: string) => path.join(layout.build, 'bin', name);
  const state = (relative: string) => file(layout, relative);
  const pair = (flagCert: string, flagKey: string, name: string) => [
    `--${flagCert}=${state(certFile(name))}`,
    `--${flagKey}=${state(keyFile(name))}`,
  ];
  const delegated = (name: string) => [
    `--kubeconfig=${state(`${name}.kubeconfig`)}`,
    `--authentication-kubeconfig=${state(`${name}.kubeconfig`)}`,
    `--authorization-kubeconfig=${state(`${name}.kubeconfig`)}`,
    `--bind-address=${LOOPBACK}`,
    ...pair('tls-cert-file', 'tls-private-key-file', `${name}-serving`),
    '--leader-elect=false',
    '--profiling=false',
  ];
  const etcdPeer = `https://${LOOPBACK}:${ports.etcdPeer}`;
  const etcdClient = `https://${LOOPBACK}:${ports.etcdClient}`;
  return [
    {
      name: 'etcd',
      binary: bin('etcd'),
      ports: [ports.etcdClient, ports.etcdPeer],
      args: [
        '--name=default',
        `--data-dir=${state('etcd')}`,
        `--listen-client-urls=${etcdClient}`,
        `--advertise-client-urls=${etcdClient}`,
        `--listen-peer-urls=${etcdPeer}`,
        `--initial-advertise-peer-urls=${etcdPeer}`,
        `--initial-cluster=default=${etcdPeer}`,
        ...pair('cert-file', 'key-file', 'etcd-server'),
        `--trusted-ca-file=${state(PKI_FILES.etcdCa)}`,
        '--client-cert-auth',
        ...pair('peer-cert-file', 'peer-key-file', 'etcd-peer'),
        `--peer-trusted-ca-file=${state(PKI_FILES.etcdCa)}`,
        '--peer-client-cert-auth',
        // Throw-away data: no fsync keeps a 2-core CI machine's disk out of the timings.
        '--unsafe-no-fsync',
        '--log-level=warn',
      ],
    },
    {
      name: 'kube-apiserver',
      binary: bin('kube-apiserver'),
      ports: [ports.api],
      args: [
        `--advertise-address=${LOOPBACK}`,
        `--bind-address=${LOOPBACK}`,
        `--secure-port=${ports.api}`,
        `--etcd-servers=${etcdClient}`,
        `--etcd-cafile=${state(PKI_FILES.etcdCa)}`,
        ...pair('etcd-certfile', 'etcd-keyfile', 'apiserver-etcd-client'),
        `--client-ca-file=${state(PKI_FILES.ca)}`,
        ...pair('tls-cert-file', 'tls-private-key-file', 'apiserver'),
        `--cert-dir=${state('apiserver')}`,
        `--service-account-issuer=${SERVICE_ACCOUNT_ISSUER}`,
        `--service-account-key-file=${state(PKI_FILES.serviceAccountPub)}`,
        `--service-account-signing-key-file=${state(PKI_FILES.serviceAccountKey)}`,
        `--service-cluster-ip-range=${SERVICE_CIDR}`,
        // As k3s: RBAC and the Node authorizer, the default admission plugins (PodSecurity among
        // them) plus NodeRestriction, privileged containers allowed so Pod Security alone decides.
        '--authorization-mode=Node,RBAC',
        '--enable-admission-plugins=NodeRestriction',
        '--allow-privileged=true',
        '--anonymous-auth=false',
        '--profiling=false',
      ],
    },
    {
      name: 'kube-controller-manager',
      binary: bin('kube-controller-manager'),
      ports: [ports.controllerManager],
      args: [
        ...delegated('controller-manager'),
        `--secure-port=${ports.controllerManager}`,
        `--service-account-private-key-file=${state(PKI_FILES.serviceAccountKey)}`,
        `--root-ca-file=${state(PKI_FILES.ca)}`,
        '--use-service-account-credentials=true',
        `--service-cluster-ip-range=${SERVICE_CIDR}`,
      ],
    },
    {
      name: 'kube-scheduler',
      binary: bin('kube-scheduler'),
      ports: [ports.scheduler],
      args: [...delegated('scheduler'), `--secure-port=${ports.scheduler}`],
    },
    {
      name: 'kwok',
      binary: bin('kwok'),
      ports: [],
      args: [
        `--kubeconfig=${state('kwok.kubeconfig')}`,
        `--config=${path.join(layout.build, 'kwok-stages.yaml')}`,
        `--manage-single-node=${NODE_NAME}`,
        `--node-ip=${LOOPBACK}`,
        `--cidr=${POD_CIDR}`,
        '--node-lease-duration-seconds=40',
      ],
    },
  ];
}

const STATE_MARKER = '.secure-workshop-cluster';

/** Removes the state directory, but only one `up` made: CLUSTER_STATE_DIR may point anywhere. */
function removeState(layout: Layout): void {
  if (!existsSync(layout.state)) return;
  if (!existsSync(path.join(layout.state, STATE_MARKER)) && readdirSync(layout.state).length > 0)
    throw new ClusterError(
      `${layout.state} is not a cluster state directory (no ${STATE_MARKER}); not touching it`,
    );
  rmSync(layout.state, { recursive: true, force: true });
}

interface PidFile {
  pid: number;
  binary: string;
}

const pidPath = (layout: Layout, name: string) => file(layout, `run/${name}.pid`);

function readPid(layout: Layout, name: string): PidFile | undefined {
  try {
    return JSON.parse(readFileSync(pidPath(layout, name), 'utf8')) as PidFile;
  } catch {
    return undefined;
  }
}

/** Alive and still the binary we started (a recycled pid is someone else's process). */
function isOurs({ pid, binary }: PidFile): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0] === binary;
  } catch {
    return false;
  }
}

/** Alive (not a zombie), whatever it runs. */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0] !== 'Z';
  } catch {
    return false;
  }
}

/** Live (not zombie) members of a process group, from /proc: a killed child waiting to be reaped is gone. */
function groupMembers(pgid: number): number[] {
  const members: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      // "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses.
      const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(pgrp) === pgid && state !== 'Z') members.push(Number(name));
    } catch {
      // exited while we looked
    }
  }
  return members;
}

async function groupEnded(pgid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (groupMembers(pgid).length > 0) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return true;
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

/** Components whose pid file names a live process group we started. */
export function running(layout: Layout): string[] {
  if (!existsSync(path.join(layout.state, 'run'))) return [];
  return readdirSync(path.join(layout.state, 'run'))
    .filter((name) => name.endsWith('.pid'))
    .map((name) => name.slice(0, -'.pid'.length))
    .filter((name) => {
      const entry = readPid(layout, name);
      return entry !== undefined && isOurs(entry);
    });
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, LOOPBACK, () => server.close(() => resolve(true)));
  });
}

function logTail(layout: Layout, name: string, lines = 3): string {
  try {
    const text = readFileSync(file(layout, `logs/${name}.log`), 'utf8')
      .trimEnd()
      .split('\n');
    return text
      .slice(-lines)
      .map((line) => `  ${line.length > 400 ? `${line.slice(0, 400)}...` : line}`)
      .join('\n');
  } catch {
    return '(no log)';
  }
}

function start(layout: Layout, component: Component): number {
  const log = openSync(file(layout, `logs/${component.name}.log`), 'a', 0o600);
  const child = spawn(component.binary, component.args, {
    detached: true, // its own process group: `down` signals the group, children included
    stdio: ['ignore', log, log],
    cwd: layout.state,
  });
  closeSync(log);
  if (child.pid === undefined) throw new ClusterError(`${component.name} did not start`);
  const entry: PidFile = { pid: child.pid, binary: component.binary };
  writeFileSync(pidPath(layout, component.name), JSON.stringify(entry), { mode: 0o600 });
  child.unref();
  return child.pid;
}

/** Waits for `probe`, failing at once with the log's last lines if the process has exited. */
async function healthy(layout: Layout, name: string, probe: () => Promise<boolean>, timeoutMs = 120_000) {
  const entry = readPid(layout, name);
  const log = file(layout, `logs/${name}.log`);
  try {
    await waitFor(
      `${name} to be healthy`,
      async () => {
        // Right after spawn the child may still run node's image until it execs: only a dead
        // process has exited.
        if (entry !== undefined && !isOurs(entry) && !alive(entry.pid))
          throw new WaitAborted(`${name} exited`);
        return (await probe()) ? true : undefined;
      },
      { timeoutMs, intervalMs: 200 },
    );
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new ClusterError(`${message} (log: ${log}); its last lines:\n${logTail(layout, name)}`);
  }
}

/** The one simulated node: no taints, so pods without tolerations schedule on it. */
function nodeObject(): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: NODE_NAME,
      annotations: { 'kwok.x-k8s.io/node': 'fake', 'node.alpha.kubernetes.io/ttl': '0' },
      labels: {
        'kubernetes.io/hostname': NODE_NAME,
        'kubernetes.io/os': 'linux',
        'kubernetes.io/arch': 'amd64',
        type: 'kwok',
      },
    },
    spec: {},
  };
}

/**
 * k3s's default StorageClass (`local-path`, WaitForFirstConsumer) and a pool of volumes in it: with
 * no provisioner running, the scheduler binds claims to these, as local-path would provision them.
 */
export function storageObjects(count = 16): KubeObject[] {
  const storageClass: KubeObject = {
    apiVersion: 'storage.k8s.io/v1',
    kind: 'StorageClass',
    metadata: {
      name: 'local-path',
      annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' },
    },
    provisioner: 'rancher.io/local-path',
    reclaimPolicy: 'Delete',
    volumeBindingMode: 'WaitForFirstConsumer',
  };
  const volumes = Array.from({ length: count }, (_, i): KubeObject => ({
    apiVersion: 'v1',
    kind: 'PersistentVolume',
    metadata: { name: `local-path-pool-${i}` },
    spec: {
      capacity: { storage: '100Gi' },
      accessModes: ['ReadWriteOnce'],
      persistentVolumeReclaimPolicy: 'Retain',
      storageClassName: 'local-path',
      // Never written: no container runs.
      hostPath: { path: `/var/lib/secure-workshop-cluster/pool-${i}`, type: 'DirectoryOrCreate' },
      nodeAffinity: {
        required: {
          nodeSelectorTerms: [
            { matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [NODE_NAME] }] },
          ],
        },
      },
    },
  }));
  return [storageClass, ...volumes];
}

function yamlObjects(file: string): KubeObject[] {
  return parseAllDocuments(readFileSync(file, 'utf8'))
    .map((doc) => doc.toJS() as KubeObject | null)
    .filter((doc): doc is KubeObject => doc !== null);
}

/** kwok's own ClusterRole (from its module, copied by build.sh) bound to kwok's client identity. */
export function kwokRbacObjects(buildDir: string): KubeObject[] {
  const roles = yamlObjects(path.join(buildDir, 'kwok-clusterrole.yaml'));
  const binding: KubeObject = {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: { name: 'kwok-controller' },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'kwok-controller' },
    subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: CLIENTS.kwok?.commonName }],
  };
  return [...roles, binding];
}

export function crdObjects(buildDir: string): KubeObject[] {
  const root = path.join(buildDir, 'crds');
  return readdirSync(root, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .flatMap((entry) =>
      readdirSync(path.join(root, entry.name))
        .filter((name) => name.endsWith('.yaml'))
        .sort()
        .flatMap((name) => yamlObjects(path.join(root, entry.name, name))),
    );
}

export function adminClient(layout: Layout): Kube {
  return new Kube(`https://${LOOPBACK}:${layout.ports.api}`, {
    ca: file(layout, PKI_FILES.ca),
    cert: file(layout, certFile('admin')),
    key: file(layout, keyFile('admin')),
  });
}

/** Builds (or reuses) the binaries and CRDs with build.sh; returns its cache directory. */
export function build(): string {
  const result = spawnSync('bash', [path.join(__dirname, 'build.sh')], {
    stdio: ['ignore', 'pipe', 'inherit'],
    encoding: 'utf8',
  });
  if (result.error !== undefined) throw new ClusterError(`build.sh: ${result.error.message}`);
  if (result.status !== 0)
    throw new ClusterError(`build.sh failed (exit ${result.status}); see the lines above`);
  return result.stdout.trim().split('\n').pop() as string;
}

/** GET over TLS verified against `tls.ca`; resolves with the body of a 200, else undefined. */
function httpsGet(
  url: string,
  tls: { ca: string; cert?: string; key?: string },
): Promise<string | undefined> {
  return new Promise((resolve) => {
    const req = https.get(
      url,
      {
        ca: readFileSync(tls.ca),
        ...(tls.cert === undefined ? {} : { cert: readFileSync(tls.cert) }),
        ...(tls.key === undefined ? {} : { key: readFileSync(tls.key) }),
        timeout: 5000,
      },
      (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString()));
        res.on('end', () => resolve(res.statusCode === 200 ? text : undefined));
      },
    );
    req.on('error', () => resolve(undefined));
    req.on('timeout', () => req.destroy());
  });
}

/** Starts everything and returns when the node is Ready and the CRDs are Established. */
export async function up(layout: Layout, timed: Timer): Promise<void> {
  const live = running(layout);
  if (live.length > 0)
    throw new ClusterError(
      `already running (${live.join(', ')}; state in ${layout.state}): npm run cluster -- down first`,
    );
  const list = components(layout);
  for (const component of list)
    for (const port of component.ports)
      if (!(await portFree(port)))
        throw new ClusterError(`port ${port} in use (needed by ${component.name})`);

  removeState(layout);
  for (const dir of ['', 'pki', 'run', 'logs', 'etcd', 'apiserver'])
    mkdirSync(path.join(layout.state, dir), { recursive: true, mode: 0o700 });
  writeFileSync(path.join(layout.state, STATE_MARKER), '', { mode: 0o600 });

  await timed('certificates and keys', async () => {
    await writePki(layout.state, leafCertificates());
    for (const user of Object.keys(CLIENTS))
      writeFileSync(file(layout, `${user}.kubeconfig`), kubeconfig(layout, user), { mode: 0o600 });
  });

  const byName = new Map(list.map((component) => [component.name, component]));
  const launch = (name: string) => start(layout, byName.get(name) as Component);
  const kube = adminClient(layout);
  try {
    await timed('etcd', async () => {
      launch('etcd');
      const client = {
        ca: file(layout, PKI_FILES.etcdCa),
        cert: file(layout, certFile('apiserver-etcd-client')),
        key: file(layout, keyFile('apiserver-etcd-client')),
      };
      const etcdHealth = async () =>
        /"health":\s*"true"/.test(
          (await httpsGet(`https://${LOOPBACK}:${layout.ports.etcdClient}/health`, client)) ?? '',
        );
      await healthy(layout, 'etcd', etcdHealth);
    });
    await timed('kube-apiserver', async () => {
      launch('kube-apiserver');
      await healthy(layout, 'kube-apiserver', async () => {
        const { body } = await kube.request<string>('GET', '/readyz');
        return body === 'ok';
      });
    });
    await timed('kube-controller-manager, kube-scheduler', async () => {
      launch('kube-controller-manager');
      launch('kube-scheduler');
      const ca = file(layout, PKI_FILES.ca);
      await Promise.all([
        healthy(
          layout,
          'kube-controller-manager',
          async () =>
            (await httpsGet(`https://${LOOPBACK}:${layout.ports.controllerManager}/healthz`, { ca })) ===
            'ok',
        ),
        healthy(
          layout,
          'kube-scheduler',
          async () =>
            (await httpsGet(`https://${LOOPBACK}:${layout.ports.scheduler}/healthz`, { ca })) === 'ok',
        ),
      ]);
    });
    await timed('kwok and its node', async () => {
      for (const object of [...kwokRbacObjects(layout.build), nodeObject(), ...storageObjects()])
        await kube.apply(object);
      launch('kwok');
      await healthy(layout, 'kwok', async () => {
        const node = await kube.get<{ status?: { conditions?: Array<{ type: string; status: string }> } }>(
          'v1',
          'Node',
          undefined,
          NODE_NAME,
        );
        return node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;
      });
    });
    await timed('CRDs', async () => {
      const crds = crdObjects(layout.build);
      for (const crd of crds) await kube.apply(crd);
      for (const crd of crds)
        await waitFor(`CRD ${crd.metadata.name} to be Established`, async () => {
          const current = await kube.get<{
            status?: { conditions?: Array<{ type: string; status: string }> };
          }>('apiextensions.k8s.io/v1', 'CustomResourceDefinition', undefined, crd.metadata.name);
          return current.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True')
            ? true
            : undefined;
        });
    });
  } finally {
    kube.close();
  }
}

/** Stops every process group started by `up`, verifies none is left, removes the state directory. */
export async function down(layout: Layout): Promise<string[]> {
  const ours = components(layout)
    .map((component) => ({ name: component.name, entry: readPid(layout, component.name) }))
    .filter(
      (item): item is { name: string; entry: PidFile } => item.entry !== undefined && isOurs(item.entry),
    );
  const left: string[] = [];
  // Clients first, etcd last, so each stops while what it talks to still answers.
  for (const { name, entry } of [...ours].reverse()) {
    signalGroup(entry.pid, 'SIGTERM');
    if (await groupEnded(entry.pid, 10_000)) continue;
    signalGroup(entry.pid, 'SIGKILL');
    if (!(await groupEnded(entry.pid, 5_000))) left.push(`${name} (process group ${entry.pid})`);
  }
  if (left.length > 0) throw new ClusterError(`still running after SIGKILL: ${left.join(', ')}`);
  removeState(layout);
  return ours.map(({ name }) => name);
}

/** Last-resort cleanup when the process exits unexpectedly (synchronous: runs in 'exit'). */
export function killAllSync(layout: Layout): void {
  for (const component of components(layout)) {
    const entry = readPid(layout, component.name);
    if (entry !== undefined && isOurs(entry)) signalGroup(entry.pid, 'SIGKILL');
  }
}

/** `up`, and if it fails half-way, stop whatever it started before rethrowing. */
export async function upOrCleanUp(layout: Layout, timed: Timer): Promise<void> {
  try {
    await up(layout, timed);
  } catch (error) {
    if (!(error instanceof ClusterError && error.message.startsWith('already running')))
      await down(layout).catch((cleanup: unknown) =>
        console.error(`cluster: while stopping after that: ${(cleanup as Error).message}`),
      );
    throw error;
  }
}

export interface ControlPlaneRun {
  /** Times `up` and `down` as phases. */
  timed: Timer;
  /** Times the parts of `up`. */
  part: Timer;
  /** Also run when the process ends early (synchronous: it runs in 'exit'), e.g. removing secrets. */
  cleanUpSync?: () => void;
}

/**
 * Starts a control plane in `layout`, runs `work` against it and stops it however `work` ends; a
 * signal or a crash SIGKILLs every process group it started.
 */
export async function withControlPlane<T>(
  layout: Layout,
  { timed, part, cleanUpSync = () => undefined }: ControlPlaneRun,
  work: (kube: Kube) => Promise<T>,
): Promise<T> {
  const killSync = () => {
    killAllSync(layout);
    cleanUpSync();
  };
  const onSignal = () => {
    killSync();
    process.exit(130);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  process.once('exit', killSync);
  try {
    await timed('up', () => upOrCleanUp(layout, part));
    const kube = adminClient(layout);
    try {
      return await work(kube);
    } finally {
      kube.close();
    }
  } finally {
    await timed('down', () => down(layout));
    cleanUpSync();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.off('exit', killSync);
  }
}
