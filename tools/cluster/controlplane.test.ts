// The control plane's command lines: loopback only, secrets only from the state directory.
import { describe, expect, it } from 'vitest';
import { type Layout, components, portsFromEnv, storageObjects } from './controlplane';

const layout: Layout = { build: '/cache/cluster/k8s-x', state: '/state/cluster', ports: portsFromEnv({}) };
const flags = (name: string) => components(layout).find((c) => c.name === name)?.args ?? [];
const value = (args: string[], flag: string) =>
  args.find((arg) => arg.startsWith(`--${flag}=`))?.slice(flag.length + 3);

describe('components', () => {
  it('start etcd, the API server, the controllers and kwok from the build, in that order', () => {
    expect(components(layout).map((c) => [c.name, c.binary])).toEqual(
      ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kwok'].map((name) => [
        name,
        `/cache/cluster/k8s-x/bin/${name}`,
      ]),
    );
  });

  it('listen and connect on 127.0.0.1 only', () => {
    const addresses = components(layout).flatMap((c) =>
      c.args
        .filter((arg) => /(url|address|servers|initial-cluster)s?=/.test(arg))
        .map((arg) => arg.split('=').pop()),
    );
    expect(addresses.length).toBeGreaterThanOrEqual(10);
    for (const address of addresses) expect(address).toMatch(/^(https:\/\/)?127\.0\.0\.1(:\d+)?$/);
  });

  it('read every key and certificate from the state directory and use TLS client auth for etcd', () => {
    const files = components(layout).flatMap((c) =>
      c.args.filter((arg) => /(key|cert|ca)(file|-file)?=/.test(arg)).map((arg) => arg.split('=')[1]),
    );
    expect(files.length).toBeGreaterThanOrEqual(15);
    for (const file of files) expect(file).toMatch(/^\/state\/cluster\/pki\//);
    expect(flags('etcd')).toEqual(expect.arrayContaining(['--client-cert-auth', '--peer-client-cert-auth']));
  });

  it('run the API server as k3s does: RBAC + Node, PodSecurity among the default admission plugins', () => {
    const args = flags('kube-apiserver');
    expect(value(args, 'authorization-mode')).toBe('Node,RBAC');
    expect(value(args, 'enable-admission-plugins')).toBe('NodeRestriction');
    expect(args.some((arg) => arg.startsWith('--disable-admission-plugins'))).toBe(false);
    expect(value(args, 'anonymous-auth')).toBe('false');
    expect(value(args, 'allow-privileged')).toBe('true');
  });

  it('refuses a CLUSTER_API_PORT that is not a port', () => {
    expect(portsFromEnv({ CLUSTER_API_PORT: '7443' }).api).toBe(7443);
    expect(() => portsFromEnv({ CLUSTER_API_PORT: 'http' })).toThrow(/CLUSTER_API_PORT/);
  });
});

describe('storageObjects', () => {
  it("stand in for k3s's local-path class with pre-made volumes on the one node", () => {
    const [storageClass, ...volumes] = storageObjects(3);
    expect(storageClass).toMatchObject({
      kind: 'StorageClass',
      metadata: {
        name: 'local-path',
        annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' },
      },
      volumeBindingMode: 'WaitForFirstConsumer',
    });
    expect(volumes.map((v) => (v.spec as { storageClassName: string }).storageClassName)).toEqual([
      'local-path',
      'local-path',
      'local-path',
    ]);
  });
});
