import { describe, expect, it } from 'vitest';
import { CONTROLS_ANNOTATION } from '../lib/labels';
import { objectName, type RecordedResource } from '../testing/mocks';
import { kubernetesObjects } from '../testing/objects';
import { controlsOf, envOf, kind, object, podSpec, runStack, workloads } from '../testing/stack-queries';
import { CONTROL_IDS } from '@secure-workshop/contracts';

const describeResource = (resource: RecordedResource) =>
  `${resource.type} ${resource.name}${objectName(resource) ? ` (${objectName(resource)})` : ''}`;

describe('start stack (Pulumi.start.yaml)', async () => {
  const run = await runStack('start');

  it('is exactly the workshop architecture', () => {
    expect(run.resources.map(describeResource).sort()).toEqual(
      [
        'pulumi:pulumi:Stack secure-workshop-start',
        'pulumi:providers:kubernetes kubernetes',
        'kubernetes:core/v1:Namespace namespace (workshop-start)',
        'secure-workshop:index:TlsPostgres postgres',
        'kubernetes:apps/v1:StatefulSet postgres-statefulset (postgres)',
        'kubernetes:core/v1:Service postgres-service (postgres)',
        'kubernetes:core/v1:ConfigMap postgres-roles (postgres-roles)',
        'secure-workshop:index:DatabaseMigration migrate',
        'kubernetes:batch/v1:Job migrate-job (migrate)',
        'secure-workshop:index:SecureApi api',
        'kubernetes:apps/v1:Deployment api-deployment (api)',
        'kubernetes:core/v1:Service api-service (api)',
        'secure-workshop:index:ReconcilerJob reconciler',
        'kubernetes:batch/v1:CronJob reconciler-cronjob (reconciler)',
      ].sort(),
    );
  });

  it('keeps the workshop default password in plain env, on purpose, with a role per client', () => {
    const postgres = envOf(object(run, 'StatefulSet', 'postgres'));
    expect(postgres.get('POSTGRES_USER')).toEqual({ name: 'POSTGRES_USER', value: 'postgres' });
    expect(postgres.get('POSTGRES_PASSWORD')).toEqual({ name: 'POSTGRES_PASSWORD', value: 'postgres' });
    const api = envOf(object(run, 'Deployment', 'api'));
    expect(api.get('PGPASSWORD')?.value).toBe('postgres');
    expect(api.get('PGUSER')?.value).toBe('bank_app');
    expect(envOf(object(run, 'Job', 'migrate')).get('PGUSER')?.value).toBe('bank_owner');
    expect(api.get('PGHOST')?.value).toBe('postgres');
    expect(api.get('PGSSLMODE')?.value).toBe('disable');
  });

  it('serves the API without authentication or security headers on HTTP port 80', () => {
    const api = envOf(object(run, 'Deployment', 'api'));
    expect(api.get('AUTH_MODE')?.value).toBe('none');
    expect(api.get('SECURITY_HEADERS')?.value).toBe('off');
    expect(api.has('TLS_CERT_DIR')).toBe(false);
    const service = object(run, 'Service', 'api').spec as { ports: { port: number; targetPort: string }[] };
    expect(service.ports).toEqual([{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' }]);
  });

  it('runs the reconciler every minute, never overlapping, against http://api', () => {
    const cron = object(run, 'CronJob', 'reconciler');
    expect(cron.spec).toMatchObject({ schedule: '* * * * *', concurrencyPolicy: 'Forbid' });
    expect(envOf(cron).get('API_URL')?.value).toBe('http://api');
    expect(envOf(cron).has('OAUTH_CLIENT_ID')).toBe(false);
  });

  it('has no hardening: no security context, limits, probes or annotations', () => {
    for (const workload of workloads(run)) {
      const pod = podSpec(workload.object);
      expect(pod.securityContext, workload.name).toBeUndefined();
      expect(pod.containers[0]!.resources, workload.name).toBeUndefined();
      expect(pod.containers[0]!.livenessProbe, workload.name).toBeUndefined();
    }
    for (const resource of run.resources.filter(
      (item) => item.type.startsWith('kubernetes:') && item.custom,
    )) {
      expect(controlsOf(resource.inputs), describeResource(resource)).toEqual([]);
    }
  });

  it('builds without warnings', () => {
    expect(run.warnings).toEqual([]);
  });
});

describe('end stack (Pulumi.end.yaml)', async () => {
  const run = await runStack('end');

  it('builds without warnings and turns on every control', () => {
    expect(run.warnings).toEqual([]);
    expect(run.outputs.controls).toEqual([...CONTROL_IDS]);
    expect(run.outputs.namespace).toBe('workshop-end');
  });

  it('annotates every Kubernetes object with the controls that shaped it', () => {
    // A patch (the namespace's Pod Security labels) sets fields of an object that is annotated itself.
    const objects = kubernetesObjects(run.resources).filter((resource) => !resource.type.endsWith('Patch'));
    expect(objects.length).toBeGreaterThan(30);
    for (const resource of objects) {
      const controls = controlsOf(resource.inputs);
      expect(controls.length, describeResource(resource)).toBeGreaterThan(0);
      for (const id of controls) expect(CONTROL_IDS as readonly string[]).toContain(id);
    }
    expect(object(run, 'Namespace', 'workshop-end').metadata?.annotations?.[CONTROLS_ANNOTATION]).toContain(
      'pod-hardening',
    );
  });

  it('runs every workload under the restricted profile with limits and pinned images', () => {
    const list = workloads(run);
    expect(list.map((workload) => workload.name).sort()).toEqual(
      [
        'api',
        'backup',
        'jumpwire',
        'jumpwire-smoke-test',
        'migrate',
        'postgres',
        'reconciler',
        'restore-check',
      ].sort(),
    );
    for (const workload of list) {
      const pod = podSpec(workload.object);
      expect(pod.automountServiceAccountToken, workload.name).toBe(false);
      expect(pod.securityContext, workload.name).toMatchObject({
        runAsNonRoot: true,
        seccompProfile: { type: 'RuntimeDefault' },
      });
      expect(pod.securityContext?.runAsUser as number, workload.name).toBeGreaterThan(0);
      for (const container of pod.containers) {
        expect(container.securityContext, workload.name).toMatchObject({
          allowPrivilegeEscalation: false,
          readOnlyRootFilesystem: true,
          capabilities: { drop: ['ALL'] },
        });
        expect(container.resources, workload.name).toMatchObject({
          requests: { cpu: expect.any(String), memory: expect.any(String) },
          limits: { cpu: expect.any(String), memory: expect.any(String) },
        });
        expect(container.image, workload.name).toMatch(/:[0-9][\w.-]*(@sha256:[0-9a-f]{64})?$/);
        for (const variable of container.env ?? []) {
          // File paths (*_FILE, JUMPWIRE_TLS_KEY) and URLs point at secrets; these names hold them.
          if (/PASSWORD$|_SECRET$|ROOT_TOKEN$|ENCRYPTION_KEY$|COOKIE$/.test(variable.name)) {
            expect(variable.value, `${workload.name} ${variable.name}`).toBeUndefined();
            expect(variable.valueFrom, `${workload.name} ${variable.name}`).toHaveProperty('secretKeyRef');
          }
        }
      }
      if (workload.kind === 'Deployment' || workload.kind === 'StatefulSet') {
        expect(pod.containers[0]!.livenessProbe, workload.name).toBeDefined();
        expect(pod.containers[0]!.readinessProbe, workload.name).toBeDefined();
      }
    }
    expect(object(run, 'NamespacePatch', 'workshop-end').metadata?.labels).toMatchObject({
      'pod-security.kubernetes.io/enforce': 'restricted',
    });
  });

  it('selects every workload with an allow NetworkPolicy under a default deny', () => {
    const policies = run.resources.filter((resource) => kind(resource) === 'NetworkPolicy');
    const selected = new Set(
      policies.map(
        (policy) =>
          ((policy.inputs.spec as { podSelector: { matchLabels?: Record<string, string> } }).podSelector
            .matchLabels ?? {})['app.kubernetes.io/name'],
      ),
    );
    for (const workload of workloads(run)) expect(selected, workload.name).toContain(workload.name);
    expect(object(run, 'NetworkPolicy', 'default-deny').spec).toEqual({
      podSelector: {},
      policyTypes: ['Ingress', 'Egress'],
    });
  });

  it('reaches PostgreSQL from the API only through the firewall, with verify-full', () => {
    const api = envOf(object(run, 'Deployment', 'api'));
    expect(api.get('PGHOST')?.value).toBe('jumpwire');
    expect(api.get('PGSSLMODE')?.value).toBe('verify-full');
    expect(api.get('PGPASSFILE')?.value).toBe('/etc/postgresql-client/pgpass');
    expect(api.has('PGPASSWORD')).toBe(false);
    expect(api.get('AUTH_MODE')?.value).toBe('jwt');
    expect(api.get('TLS_CLIENT_AUTH')?.value).toBe('require');
  });

  it('creates every object of the namespace after the Namespace itself', () => {
    const namespace = run.resources.find(
      (resource) => kind(resource) === 'Namespace' && objectName(resource) === 'workshop-end',
    )!;
    const namespaced = run.resources.filter(
      (resource) =>
        resource.custom &&
        (resource.inputs.metadata as { namespace?: string } | undefined)?.namespace === 'workshop-end',
    );
    expect(namespaced.length).toBeGreaterThan(40);
    for (const resource of namespaced)
      expect(resource.dependencies, describeResource(resource)).toContain(namespace.urn);
  });

  it('exports the login material as secrets and the public parts in the clear', () => {
    expect(run.outputs.apiUrl).toBe('https://api');
    expect(String(run.outputs.caCertPem)).toContain('BEGIN CERTIFICATE');
    expect(String(run.outputs.workshopClientSecret)).toMatch(/^[A-Za-z0-9]{48}$/);
  });
});

describe('invalid settings', () => {
  it('stop the program with the message that lists the valid controls', async () => {
    await expect(runStack('broken', ['authz-scopes'])).rejects.toThrow(
      `secure-workshop: missing control requirements: "authz-scopes" requires "authn-jwt"; valid controls are: ${CONTROL_IDS.join(', ')}`,
    );
    await expect(runStack('broken', ['zero-trust' as never])).rejects.toThrow(
      /unknown control "zero-trust"; valid controls are:/,
    );
  });
});
