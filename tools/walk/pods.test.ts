// From rendered objects to processes: argv, environment, files and users as the pods would have them.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RenderedStep, WalkError } from './objects';
import {
  APP_IMAGES,
  type ContainerSpec,
  type DataLookup,
  type Mount,
  type PodSpec,
  appEntryPoint,
  effectiveArgv,
  imageRepository,
  plannedVolume,
  processIdentity,
  resolveEnv,
  rewriteArgument,
  rewritePath,
} from './pods';

const REPO = path.resolve(__dirname, '..', '..');
const mounts: Mount[] = [
  { containerPath: '/etc/api/auth', localPath: '/walk/pods/api/volumes/auth' },
  { containerPath: '/etc/api', localPath: '/walk/pods/api/volumes/etc' },
  { containerPath: '/tmp', localPath: '/walk/pods/api/volumes/tmp' },
];
const lookup: DataLookup = {
  secret: (name) =>
    name === 'api-auth' ? { 'jwt-public.pem': 'PEM', password: '/etc/api/auth/not-a-path' } : undefined,
  configMap: (name) => (name === 'workshop-ca' ? { 'ca.crt': 'CA' } : undefined),
};
const context = { lookup, mounts, podIp: '10.43.0.12', namespace: 'workshop-walk', podName: 'api' };

describe('paths under mounts', () => {
  it('maps a path to the longest mount that holds it and leaves others alone', () => {
    expect(rewritePath('/etc/api/auth/jwt-public.pem', mounts)).toBe(
      '/walk/pods/api/volumes/auth/jwt-public.pem',
    );
    expect(rewritePath('/etc/api/other', mounts)).toBe('/walk/pods/api/volumes/etc/other');
    expect(rewritePath('/etc/apiary', mounts)).toBe('/etc/apiary');
    expect(rewritePath('/tmp', mounts)).toBe('/walk/pods/api/volumes/tmp');
    expect(rewritePath('relative/path', mounts)).toBe('relative/path');
  });

  it('maps `-c name=/path` and `--flag=/path` arguments too', () => {
    expect(rewriteArgument('ssl_cert_file=/tmp/tls.crt', mounts)).toBe(
      'ssl_cert_file=/walk/pods/api/volumes/tmp/tls.crt',
    );
    expect(rewriteArgument('--host=/tmp', mounts)).toBe('--host=/walk/pods/api/volumes/tmp');
    expect(rewriteArgument('-c', mounts)).toBe('-c');
  });
});

describe('the container environment', () => {
  const container: ContainerSpec = {
    name: 'api',
    image: 'secure-workshop/api:0.1.0-abc',
    env: [
      { name: 'HOST', value: '0.0.0.0' },
      { name: 'JWT_PUBLIC_KEY_FILE', value: '/etc/api/auth/jwt-public.pem' },
      { name: 'PGPASSWORD', valueFrom: { secretKeyRef: { name: 'api-auth', key: 'password' } } },
      { name: 'CA', valueFrom: { configMapKeyRef: { name: 'workshop-ca', key: 'ca.crt' } } },
      { name: 'URL', value: 'http://$(HOST):3000/$$' },
      { name: 'NS', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
    ],
  };

  it('is the image ENV without what the walk leaves out, then env: literals rewritten, Secret values not', () => {
    const env = resolveEnv(container, APP_IMAGES['secure-workshop/api']!.env, context);
    expect(env).toMatchObject({
      NODE_ENV: 'production',
      HOST: '10.43.0.12',
      JWT_PUBLIC_KEY_FILE: '/walk/pods/api/volumes/auth/jwt-public.pem',
      PGPASSWORD: '/etc/api/auth/not-a-path',
      CA: 'CA',
      URL: 'http://10.43.0.12:3000/$',
      NS: 'workshop-walk',
    });
    expect(env).not.toHaveProperty('NODE_OPTIONS');
  });

  it('refuses a key of a Secret the step does not have, as the kubelet would', () => {
    const missing = {
      ...container,
      env: [{ name: 'X', valueFrom: { secretKeyRef: { name: 'postgres-credentials', key: 'app' } } }],
    };
    expect(() => resolveEnv(missing, {}, context)).toThrow(
      /Secret postgres-credentials key app.*CreateContainerConfigError/,
    );
    const optional = {
      ...container,
      env: [{ name: 'X', valueFrom: { secretKeyRef: { name: 'nope', key: 'k', optional: true } } }],
    };
    expect(resolveEnv(optional, {}, context)).not.toHaveProperty('X');
  });
});

describe('argv and entry points', () => {
  const api = APP_IMAGES['secure-workshop/api']!;
  const backup = APP_IMAGES['secure-workshop/backup']!;

  it('follows Kubernetes: command replaces the entrypoint and the cmd, args replace the cmd', () => {
    expect(effectiveArgv({ name: 'a', image: 'i' }, api)).toEqual(['node', 'dist/server.js']);
    expect(
      effectiveArgv({ name: 'a', image: 'i', command: ['node', 'dist/migrate.js', '--seed'] }, api),
    ).toEqual(['node', 'dist/migrate.js', '--seed']);
    expect(effectiveArgv({ name: 'a', image: 'i', args: ['restore-check'] }, backup)).toEqual([
      'node',
      'dist/backup/src/main.js',
      'restore-check',
    ]);
  });

  it('runs the module the image runs, from src', () => {
    expect(appEntryPoint(['node', 'dist/migrate.js', '--seed'], api)).toEqual({
      module: 'apps/api/src/migrate.ts',
      args: ['--seed'],
    });
    expect(() => appEntryPoint(['sh', '-c', 'true'], api)).toThrow(WalkError);
  });

  it('names images without tags or digests', () => {
    expect(imageRepository('secure-workshop/api:0.1.0-abc')).toBe('secure-workshop/api');
    expect(imageRepository('postgres:17.11-alpine')).toBe('postgres');
    expect(imageRepository('registry:5000/team/app@sha256:00')).toBe('registry:5000/team/app');
  });

  it.each(Object.entries(APP_IMAGES))('%s: the table says what the Dockerfile says', (_image, runtime) => {
    const dockerfile = readFileSync(path.join(REPO, runtime.dockerfile), 'utf8');
    const final = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
    const json = (instruction: string) => {
      const found = new RegExp(`^${instruction} (\\[.*\\])$`, 'm').exec(final);
      return found ? (JSON.parse(found[1] as string) as string[]) : [];
    };
    expect(json('ENTRYPOINT')).toEqual(runtime.entrypoint);
    expect(json('CMD')).toEqual(runtime.cmd);
    expect(/^USER (\d+):(\d+)$/m.exec(final)?.slice(1).map(Number)).toEqual([runtime.user, runtime.group]);
    expect([...final.matchAll(/^WORKDIR (\S+)$/gm)].at(-1)?.[1]).toBe(runtime.workdir);
    const env: Record<string, string> = {};
    for (const block of final.matchAll(/^ENV ((?:.*\\\n)*.*)$/gm)) {
      for (const pair of (block[1] as string).replace(/\\\n/g, ' ').trim().split(/\s+/)) {
        const at = pair.indexOf('=');
        env[pair.slice(0, at)] = pair.slice(at + 1);
      }
    }
    expect(env).toEqual(runtime.env);
    for (const module of Object.values(runtime.modules))
      expect(() => readFileSync(path.join(REPO, module))).not.toThrow();
  });
});

describe('volumes and users', () => {
  it('writes a Secret volume with its modes, group-readable under an fsGroup', () => {
    const secret = {
      name: 'auth',
      secret: {
        secretName: 'api-auth',
        defaultMode: 0o400,
        items: [{ key: 'jwt-public.pem', path: 'key.pem' }],
      },
    };
    expect(plannedVolume(secret, lookup, 10001, 'api')).toEqual({
      name: 'auth',
      kind: 'files',
      source: 'Secret api-auth',
      files: [{ path: 'key.pem', content: 'PEM', mode: 0o440 }],
      gid: 10001,
    });
    expect(plannedVolume(secret, lookup, undefined, 'api')).toMatchObject({
      files: [{ mode: 0o400 }],
      gid: undefined,
    });
  });

  it('refuses a volume of a Secret the step does not create yet', () => {
    const volume = { name: 'pw', secret: { secretName: 'postgres-credentials' } };
    expect(() => plannedVolume(volume, lookup, undefined, 'api')).toThrow(
      /mounts Secret postgres-credentials.*ContainerCreating/,
    );
  });

  it('takes the user from the container, the pod, then the image; runAsUser alone means group 0', () => {
    const pod: PodSpec = { containers: [], securityContext: { fsGroup: 70 } };
    const image = { user: 10001, group: 10001 };
    expect(processIdentity(pod, { name: 'c', image: 'i' }, image)).toMatchObject({
      uid: 10001,
      gid: 10001,
      groups: [70],
    });
    expect(
      processIdentity(pod, { name: 'c', image: 'i', securityContext: { runAsUser: 70 } }, image),
    ).toMatchObject({ uid: 70, gid: 0 });
    expect(
      processIdentity(
        { containers: [], securityContext: { runAsUser: 1, runAsGroup: 2 } },
        { name: 'c', image: 'i', securityContext: { allowPrivilegeEscalation: false } },
        image,
      ),
    ).toEqual({ uid: 1, gid: 2, groups: [], noNewPrivileges: true });
  });
});

describe('the end stack, rendered with real values', () => {
  let dir: string;
  let step: RenderedStep;

  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'walk-pods-'));
    const out = path.join(dir, 'end');
    const result = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        'infra/tools/cli.ts',
        'render',
        'end',
        '--out',
        out,
        '--stack-name',
        'walk',
        '--state',
        path.join(dir, 'state.json'),
        '--secrets',
        'reveal',
      ],
      { cwd: REPO, encoding: 'utf8' },
    );
    if (result.status !== 0) throw new Error(result.stderr);
    step = RenderedStep.load(out, 'workshop-walk');
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('orders the workloads as pulumi up creates them', () => {
    const order = step.workloadsInOrder().map((object) => `${object.kind}/${object.metadata.name}`);
    expect(order.indexOf('StatefulSet/postgres')).toBeLessThan(order.indexOf('Job/migrate'));
    expect(order.indexOf('Job/migrate')).toBeLessThan(order.indexOf('Deployment/jumpwire'));
    expect(order.indexOf('Deployment/jumpwire')).toBeLessThan(order.indexOf('Deployment/api'));
  });

  it("maps every container of our images to a module of this repository, with the pod's files", () => {
    const data: DataLookup = {
      secret: (name) =>
        step.dataOf('Secret', name) ??
        (name.endsWith('-tls') ? { 'tls.crt': 'x', 'tls.key': 'y', 'ca.crt': 'z' } : undefined),
      configMap: (name) => step.dataOf('ConfigMap', name),
    };
    for (const workload of step.workloadsInOrder()) {
      const pod = (workload.spec?.template as { spec: PodSpec }).spec;
      for (const container of pod.containers) {
        const runtime = APP_IMAGES[imageRepository(container.image)];
        if (runtime === undefined) continue;
        const local: Mount[] = (container.volumeMounts ?? []).map((mount) => ({
          containerPath: mount.mountPath,
          localPath: `/walk/${mount.name}`,
        }));
        const entry = appEntryPoint(effectiveArgv(container, runtime), runtime);
        expect(entry.module).toMatch(/^apps\/\w+\/src\/\w+\.ts$/);
        const env = resolveEnv(container, runtime.env, {
          lookup: data,
          mounts: local,
          podIp: undefined,
          namespace: 'workshop-walk',
          podName: workload.metadata.name,
        });
        for (const [name, value] of Object.entries(env)) {
          if (/_FILE$|^PGPASSFILE$|^PGSSLROOTCERT$|^TLS_CERT_DIR$/.test(name))
            expect(value, `${workload.metadata.name} ${name}`).toMatch(/^\/walk\//);
        }
        for (const volume of pod.volumes ?? [])
          expect(() =>
            plannedVolume(
              volume,
              data,
              pod.securityContext?.fsGroup as number | undefined,
              workload.metadata.name,
            ),
          ).not.toThrow();
      }
    }
  });

  it("rewrites the PostgreSQL server's files and the roles container's script", () => {
    const pod = (step.get('StatefulSet', 'postgres').spec?.template as { spec: PodSpec }).spec;
    const [server, roles] = pod.containers as [ContainerSpec, ContainerSpec];
    const local = (container: ContainerSpec): Mount[] =>
      (container.volumeMounts ?? []).map((mount) => ({
        containerPath: mount.mountPath,
        localPath: `/walk/${mount.name}`,
      }));
    expect((server.args ?? []).map((argument) => rewriteArgument(argument, local(server)))).toContain(
      'ssl_key_file=/walk/tls/tls.key',
    );
    expect(
      effectiveArgv(roles, { entrypoint: [], cmd: [] }).map((argument) =>
        rewriteArgument(argument, local(roles)),
      ),
    ).toEqual(['sh', '/walk/roles/apply-roles.sh']);
  });
});
