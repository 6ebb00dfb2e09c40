// The walk's own network namespace: one address per Service on its loopback, a hosts file that
// resolves Service names the way cluster DNS does for a pod of the namespace, and a forwarder for
// each Service port that differs from its target port (the API Service's 443 to the container's 8443).
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { type Server, type Socket, connect, createServer } from 'node:net';
import { WalkError } from './objects';

/** k3s's default Service range; the walk's addresses look like what the pods would dial. */
const SERVICE_NETWORK = '10.43.0.';
const FIRST_HOST = 10;

export const HOSTS_MARKER = '# secure-workshop walk';

function ip(args: string[]): void {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

/** Creates the namespace with its loopback up and an empty hosts file; one line on failure. */
export function createNamespace(name: string): void {
  try {
    ip(['netns', 'add', name]);
  } catch (error) {
    const reason = String((error as { stderr?: Buffer }).stderr ?? (error as Error).message)
      .trim()
      .split('\n')[0];
    throw new WalkError(
      `cannot create a network namespace (ip netns add: ${reason}); the local walk needs root on Linux with ip netns (CI has it)`,
    );
  }
  ip(['-n', name, 'link', 'set', 'lo', 'up']);
  mkdirSync(`/etc/netns/${name}`, { recursive: true, mode: 0o755 });
  writeFileSync(`/etc/netns/${name}/hosts`, hostsText([]), { mode: 0o644 });
}

export function deleteNamespace(name: string): void {
  try {
    ip(['netns', 'delete', name]);
  } catch {
    // Already gone.
  }
  rmSync(`/etc/netns/${name}`, { recursive: true, force: true });
}

/** The names a pod of `namespace` resolves for a Service: short, namespaced, `.svc`, full. */
export function serviceNames(service: string, namespace: string): string[] {
  return [
    service,
    `${service}.${namespace}`,
    `${service}.${namespace}.svc`,
    `${service}.${namespace}.svc.cluster.local`,
  ];
}

export function hostsText(entries: readonly { address: string; names: string[] }[]): string {
  return [
    HOSTS_MARKER,
    '127.0.0.1 localhost',
    '::1 localhost',
    ...entries.map((entry) => `${entry.address} ${entry.names.join(' ')}`),
    '',
  ].join('\n');
}

interface Forward {
  server: Server;
  target: number;
  sockets: Set<Socket>;
}

/** Inside the namespace: addresses, names and port forwards of the Services, kept across steps. */
export class ServiceNetwork {
  private readonly addresses = new Map<string, string>();
  private readonly forwards = new Map<string, Forward>();

  constructor(
    private readonly namespace: string,
    private readonly hostsFile: string,
  ) {
    // Inside the namespace /etc/hosts is the walk's own file (ip netns exec mounts it); anywhere else
    // it is the machine's, which the walk must never write.
    if (!readFileSync(hostsFile, 'utf8').startsWith(HOSTS_MARKER))
      throw new WalkError(
        `${hostsFile} is not the walk's own hosts file: run npm run walk, not the inner command`,
      );
  }

  /** The Service's address, added to the loopback the first time it is asked for. */
  address(service: string): string {
    const known = this.addresses.get(service);
    if (known !== undefined) return known;
    const address = `${SERVICE_NETWORK}${FIRST_HOST + this.addresses.size}`;
    ip(['addr', 'add', `${address}/32`, 'dev', 'lo']);
    this.addresses.set(service, address);
    writeFileSync(
      this.hostsFile,
      hostsText(
        [...this.addresses].map(([name, value]) => ({
          address: value,
          names: serviceNames(name, this.namespace),
        })),
      ),
    );
    return address;
  }

  lookup(service: string): string | undefined {
    return this.addresses.get(service);
  }

  /** Service port -> target port on the Service's address; replaces a forward of another target. */
  async forward(address: string, port: number, target: number): Promise<void> {
    const key = `${address}:${port}`;
    const existing = this.forwards.get(key);
    if (existing?.target === target) return;
    if (existing) await this.close(key, existing);
    const sockets = new Set<Socket>();
    const server = createServer((client) => {
      const upstream = connect(target, address);
      sockets.add(client).add(upstream);
      const done = () => {
        client.destroy();
        upstream.destroy();
        sockets.delete(client);
        sockets.delete(upstream);
      };
      client.on('error', done).on('close', done);
      upstream.on('error', done).on('close', done);
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', (error) =>
        reject(new WalkError(`cannot forward ${key} to ${target}: ${error.message}`)),
      );
      server.listen(port, address, resolve);
    });
    this.forwards.set(key, { server, target, sockets });
  }

  /** Drops the forwards of addresses whose ports are not in `keep` (`address:port`). */
  async keepOnly(keep: ReadonlySet<string>): Promise<void> {
    for (const [key, forward] of [...this.forwards]) if (!keep.has(key)) await this.close(key, forward);
  }

  async closeAll(): Promise<void> {
    for (const [key, forward] of [...this.forwards]) await this.close(key, forward);
  }

  private async close(key: string, forward: Forward): Promise<void> {
    this.forwards.delete(key);
    for (const socket of forward.sockets) socket.destroy();
    await new Promise<void>((resolve) => forward.server.close(() => resolve()));
  }
}
