// Composes the stack from its controls: namespace, CA, database, firewall, API, reconciler, network rules.
import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';
import { CertificateAuthority } from '../components/certificate-authority';
import { ClusterAddons, useClusterAddons } from '../components/cluster-addons';
import { DatabaseMigration, MIGRATE_NAME } from '../components/database-migration';
import { EncryptedBackups, RESTORE_CHECK_NAME } from '../components/encrypted-backups';
import {
  JUMPWIRE_NAME,
  JUMPWIRE_PORTS,
  JumpWireGateway,
  SMOKE_TEST_NAME,
} from '../components/jumpwire-gateway';
import { ObservabilityStack } from '../components/observability-stack';
import { ReconcilerJob, RECONCILER_NAME } from '../components/reconciler-job';
import { API_NAME, SecureApi, WORKSHOP_CLIENT_ID, apiEndpoint } from '../components/secure-api';
import { POSTGRES_NAME, POSTGRES_PORT, TlsPostgres } from '../components/tls-postgres';
import { TraefikGateway } from '../components/traefik-gateway';
import { ControlTrail, appLabels } from '../lib/labels';
import {
  type Flow,
  type NamedPolicy,
  defaultDenyPolicy,
  dnsEgressPolicy,
  policiesForFlows,
} from '../lib/network-policy';
import { POD_SECURITY_LABELS } from '../lib/pod-security';
import { type StackContext, objectMeta } from '../lib/workload';
import type { Settings } from '../settings';
import { API_PORTS, type ControlId, type ControlSet, controlSet } from '@secure-workshop/contracts';

/** Where Traefik (bundled with k3s) runs; the gateway's traffic to the API comes from there. */
export const TRAEFIK_PEER = { namespace: 'kube-system', podLabels: { 'app.kubernetes.io/name': 'traefik' } };
/** The namespace the monitoring charts are installed into (scrapes come from there). */
export const MONITORING_NAMESPACE = 'monitoring';
export const BACKUP_NAME = 'backup';
/** Where the backup jobs mount the workshop CA to verify PostgreSQL. */
export const BACKUP_CA_DIR = '/etc/workshop-ca';

/** The API's public name at the gateway; cert-manager certificates never name localhost. */
export function gatewayHost(stack: string): string {
  return `api.${stack}.workshop.test`;
}

/** The controls that need the workshop CA (and so cert-manager). */
export function caControls(controls: ControlSet): ControlId[] {
  return (['tls-in-transit', 'db-tls', 'mtls-internal'] as const).filter((id) => controls.has(id));
}

/** Every network flow the architecture needs, given its controls. */
export function architectureFlows(controls: ControlSet): Flow[] {
  const api = { app: API_NAME };
  const postgres = { app: POSTGRES_NAME };
  const apiPort = apiEndpoint(controls).containerPort;
  const flows: Flow[] = [
    { from: { app: RECONCILER_NAME }, to: api, port: apiPort, description: 'reconciler calls the API' },
  ];
  if (controls.has('api-gateway')) {
    flows.push({
      from: TRAEFIK_PEER,
      to: api,
      port: apiPort,
      description: 'the gateway (Traefik) forwards to the API',
      control: 'api-gateway',
    });
  }
  if (controls.has('db-firewall')) {
    const jumpwire = { app: JUMPWIRE_NAME };
    flows.push(
      {
        from: api,
        to: jumpwire,
        port: JUMPWIRE_PORTS.postgres,
        description: 'the API queries through the firewall',
        control: 'db-firewall',
      },
      {
        from: jumpwire,
        to: postgres,
        port: POSTGRES_PORT,
        description: 'the firewall connects to PostgreSQL',
        control: 'db-firewall',
      },
      {
        from: { app: SMOKE_TEST_NAME },
        to: jumpwire,
        port: JUMPWIRE_PORTS.postgres,
        description: 'the smoke test logs in through the firewall',
        control: 'db-firewall',
      },
    );
  } else {
    flows.push({ from: api, to: postgres, port: POSTGRES_PORT, description: 'the API queries PostgreSQL' });
  }
  flows.push({
    from: { app: MIGRATE_NAME },
    to: postgres,
    port: POSTGRES_PORT,
    description: 'migrations run as the owner',
  });
  if (controls.has('encrypted-backups')) {
    flows.push({
      from: { app: BACKUP_NAME },
      to: postgres,
      port: POSTGRES_PORT,
      description: 'backups dump the database',
      control: 'encrypted-backups',
    });
    flows.push({
      from: { app: RESTORE_CHECK_NAME },
      to: postgres,
      port: POSTGRES_PORT,
      description: 'the restore check restores the newest backup into a scratch database',
      control: 'encrypted-backups',
    });
  }
  if (controls.has('observability')) {
    const monitoring = { namespace: MONITORING_NAMESPACE };
    flows.push({
      from: monitoring,
      to: api,
      port: API_PORTS.metrics,
      description: 'Prometheus scrapes the API',
      control: 'observability',
    });
    if (controls.has('db-firewall')) {
      flows.push({
        from: monitoring,
        to: { app: JUMPWIRE_NAME },
        port: JUMPWIRE_PORTS.metrics,
        description: 'Prometheus scrapes JumpWire',
        control: 'observability',
      });
    }
  }
  return flows;
}

/** Default deny, DNS, then one allow policy per workload. */
export function architecturePolicies(controls: ControlSet): NamedPolicy[] {
  return [defaultDenyPolicy(), dnsEgressPolicy(), ...policiesForFlows(architectureFlows(controls))];
}

export interface Architecture {
  context: StackContext;
  namespace: k8s.core.v1.Namespace;
  ca?: CertificateAuthority;
  postgres: TlsPostgres;
  migration: DatabaseMigration;
  jumpwire?: JumpWireGateway;
  api: SecureApi;
  reconciler: ReconcilerJob;
  networkPolicies: k8s.networking.v1.NetworkPolicy[];
  gateway?: TraefikGateway;
  observability?: ObservabilityStack;
  backups?: EncryptedBackups;
}

/**
 * The workshop stack, in the order a request's data flows back: PostgreSQL, the migration, the
 * firewall (with its smoke test), the API, the reconciler; then the edge, monitoring, backups and
 * the network rules around all of it.
 */
export function buildArchitecture(settings: Settings, provider: k8s.Provider): Architecture {
  const controls = controlSet(settings.controls);
  const k8sOpts = { provider };
  const namespaceControls = new ControlTrail(controls);
  const hardened = namespaceControls.ifOn('pod-hardening');
  if (controls.has('network-policies')) namespaceControls.record('network-policies');
  // Rendered as files there is no order to keep: the labels go straight onto the Namespace.
  const labelsLater = hardened && settings.renderYamlToDirectory === undefined;
  const namespace = new k8s.core.v1.Namespace(
    'namespace',
    {
      metadata: {
        name: settings.namespace,
        labels: {
          ...appLabels('workshop', settings.stack),
          ...(hardened && !labelsLater ? POD_SECURITY_LABELS : {}),
        },
        annotations: namespaceControls.annotations(),
      },
    },
    k8sOpts,
  );
  const context: StackContext = {
    stack: settings.stack,
    namespace: settings.namespace,
    namespaceRef: namespace.metadata.name,
    controls,
  };
  const addons = useClusterAddons(controls, provider, { read: settings.renderYamlToDirectory === undefined });
  const storage = settings.storageClassName ? { storageClassName: settings.storageClassName } : {};

  const needsCa = caControls(controls);
  const ca =
    needsCa.length > 0
      ? new CertificateAuthority('ca', {
          context,
          provider,
          controls: needsCa,
          ...(addons.certManager ? { certManager: addons.certManager } : {}),
        })
      : undefined;

  const postgres = new TlsPostgres('postgres', {
    context,
    provider,
    image: settings.images.postgres,
    ...(ca ? { ca } : {}),
    ...storage,
  });
  const migration = new DatabaseMigration('migrate', {
    context,
    provider,
    image: settings.images.api,
    database: postgres.clientFor('owner', '/etc/migrate/db-ca'),
    dependsOn: [postgres.statefulSet],
  });
  const jumpwire =
    controls.has('db-firewall') && ca
      ? new JumpWireGateway('jumpwire', {
          context,
          provider,
          image: settings.images.jumpwire,
          psqlImage: settings.images.postgres,
          ca,
          postgres,
          // JumpWire reads (and alters) the schema when it starts: after the migration.
          dependsOn: [migration.job],
          ...storage,
        })
      : undefined;
  const api = new SecureApi('api', {
    context,
    provider,
    image: settings.images.api,
    database: jumpwire
      ? jumpwire.clientForApi('/etc/api/db-ca')
      : postgres.clientFor('app', '/etc/api/db-ca'),
    ...(ca ? { ca } : {}),
    dependsOn: jumpwire ? [migration.job, jumpwire.smokeTest] : [migration.job],
  });
  const reconciler = new ReconcilerJob('reconciler', {
    context,
    provider,
    image: settings.images.reconciler,
    api,
    ...(ca ? { ca } : {}),
  });

  const gateway =
    controls.has('api-gateway') && ca && api.jwtPublicKeyPem
      ? new TraefikGateway('gateway', {
          context,
          provider,
          host: gatewayHost(settings.stack),
          jwtPublicKeyPem: api.jwtPublicKeyPem,
          jwtAudience: api.jwtAudience,
          certificates: ca,
          apiService: { name: API_NAME, port: api.endpoint.servicePort },
          addons: [addons.certManager, addons.traefikConfig].filter(
            (addon): addon is pulumi.Resource => addon !== undefined,
          ),
        })
      : undefined;
  const observability = controls.has('observability')
    ? new ObservabilityStack('observability', {
        context,
        provider,
        ...(addons.prometheusOperator ? { prometheusOperator: addons.prometheusOperator } : {}),
      })
    : undefined;
  const backups =
    controls.has('encrypted-backups') && postgres.tls
      ? new EncryptedBackups('backups', {
          context,
          provider,
          image: settings.images.backup,
          backupClient: postgres.clientFor('owner', BACKUP_CA_DIR),
          // Only the restore check creates (and drops) its scratch database.
          restoreClient: postgres.clientFor('superuser', BACKUP_CA_DIR),
          ...storage,
        })
      : undefined;

  const networkPolicies = controls.has('network-policies')
    ? architecturePolicies(controls).map((policy) => {
        const applied = new ControlTrail(controls).record('network-policies', ...policy.controls);
        return new k8s.networking.v1.NetworkPolicy(
          `network-policy-${policy.name}`,
          {
            metadata: {
              ...objectMeta(context, policy.name, 'workshop', applied),
              annotations: {
                ...applied.annotations(),
                'secure-workshop.dev/description': policy.description,
              },
            },
            spec: policy.spec,
          },
          k8sOpts,
        );
      })
    : [];

  if (labelsLater) {
    // The API server checks every existing pod against a new enforce level and warns about each that
    // fails it: the label goes on once the workloads it judges are the hardened ones (pulumi up waits
    // for their rollouts first).
    const workloads: pulumi.Resource[] = [
      postgres.statefulSet,
      migration.job,
      api.deployment,
      reconciler.cronJob,
      ...(jumpwire ? [jumpwire.deployment, jumpwire.smokeTest] : []),
      ...(backups ? backups.cronJobs : []),
    ];
    new k8s.core.v1.NamespacePatch(
      'namespace-pod-security',
      {
        // Only the labels: the Namespace itself carries the controls annotation (pod-hardening).
        metadata: { name: settings.namespace, labels: POD_SECURITY_LABELS },
      },
      { ...k8sOpts, dependsOn: [namespace, ...workloads] },
    );
  }

  return {
    context,
    namespace,
    ...(ca ? { ca } : {}),
    postgres,
    migration,
    ...(jumpwire ? { jumpwire } : {}),
    api,
    reconciler,
    networkPolicies,
    ...(gateway ? { gateway } : {}),
    ...(observability ? { observability } : {}),
    ...(backups ? { backups } : {}),
  };
}

/** The add-ons stack: cert-manager, k3s's Traefik plugin configuration and monitoring; nothing else. */
export function buildClusterAddons(settings: Settings, provider: k8s.Provider): ClusterAddons {
  return new ClusterAddons('cluster-addons', { provider, stack: settings.stack });
}

/** The stack outputs: where things are and how to log in, secrets marked as such. */
export function stackOutputs(architecture: Architecture, settings: Settings): Record<string, unknown> {
  const { api, ca, jumpwire } = architecture;
  return {
    namespace: settings.namespace,
    controls: settings.controls,
    ...(settings.step === undefined ? {} : { step: settings.step }),
    apiUrl: api.url,
    tokenUrl: api.url + '/oauth/token',
    apiService: { name: API_NAME, port: api.endpoint.servicePort, scheme: api.endpoint.scheme },
    ...(ca ? { caCertPem: ca.certPem, clusterIssuer: ca.issuerName } : {}),
    ...(api.jwtPublicKeyPem
      ? {
          jwtPublicKeyPem: api.jwtPublicKeyPem,
          jwtIssuer: api.jwtIssuer,
          jwtAudience: api.jwtAudience,
          workshopClientId: WORKSHOP_CLIENT_ID,
          workshopClientSecret: pulumi.secret(api.workshopClientSecret),
        }
      : {}),
    ...(jumpwire ? { jumpwireManifestId: jumpwire.manifestId, jumpwireClientId: jumpwire.clientId } : {}),
    ...(architecture.gateway
      ? { gatewayHost: gatewayHost(settings.stack), gatewayUrl: architecture.gateway.url }
      : {}),
  };
}
