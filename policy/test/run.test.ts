import * as k8s from '@pulumi/kubernetes';
import {
  validateResourceOfType,
  type ResourceValidationPolicy,
  type StackValidationPolicy,
} from '@pulumi/policy';
import { describe, expect, it } from 'vitest';
import type { SecureWorkshopPolicy } from '../lib/meta';
import { runPolicies, unwrapSecrets } from '../run';
import { resource } from './mutate';

const meta = { owaspCategory: 'A05', control: 'pod-hardening', remediation: 'fix it' } as const;

describe('runPolicies', () => {
  it('builds validation args that validateResourceOfType understands', async () => {
    const seen: string[] = [];
    const probe: SecureWorkshopPolicy = {
      meta,
      policy: {
        name: 'probe',
        description: 'records Services',
        enforcementLevel: 'mandatory',
        validateResource: validateResourceOfType(k8s.core.v1.Service, (service, args, report) => {
          seen.push(`${args.name}:${service.spec?.type ?? ''}`);
          report('seen');
        }),
      } satisfies ResourceValidationPolicy,
    };
    const service = resource('kubernetes:core/v1:Service', 'svc', { spec: { type: 'ClusterIP' } });
    const configMap = resource('kubernetes:core/v1:ConfigMap', 'cm', { data: {} });
    const violations = await runPolicies([service, configMap], { policies: [probe] });
    expect(seen).toEqual(['svc:ClusterIP']);
    expect(violations).toEqual([
      { policy: 'probe', ...meta, enforcementLevel: 'mandatory', urn: service.urn, message: 'seen' },
    ]);
  });

  it('gives stack policies every resource with parents resolved and honours notApplicable', async () => {
    const child = { ...resource('kubernetes:core/v1:ConfigMap', 'child', {}), parent: 'urn:parent' };
    const parent = { ...resource('secure-workshop:index:SecureApi', 'parent', {}), urn: 'urn:parent' };
    const stackProbe: SecureWorkshopPolicy = {
      meta,
      policy: {
        name: 'stack-probe',
        description: 'reports parents',
        enforcementLevel: 'mandatory',
        validateStack: (args, report) => {
          for (const r of args.resources) report(`${r.name}<-${r.parent?.name ?? 'none'}`, r.urn);
        },
      } satisfies StackValidationPolicy,
    };
    const skipped: SecureWorkshopPolicy = {
      meta,
      policy: {
        name: 'skipped',
        description: 'never applies',
        enforcementLevel: 'mandatory',
        validateStack: (args) => args.notApplicable('nothing to see'),
      } satisfies StackValidationPolicy,
    };
    const violations = await runPolicies([child, parent], { policies: [stackProbe, skipped] });
    expect(violations.map((v) => v.message)).toEqual(['child<-parent', 'parent<-none']);
  });

  it('unwraps serialized secrets so policies see plain values', () => {
    const secret = {
      '4dabf18193072939515e22adb298388d': '1b47061264138c4ac30d75fd1eb44270',
      value: 'hunter2',
    };
    expect(unwrapSecrets({ env: [{ name: 'PASSWORD', value: secret }] })).toEqual({
      env: [{ name: 'PASSWORD', value: 'hunter2' }],
    });
  });
});
