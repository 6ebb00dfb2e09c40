import { beforeAll, describe, expect, it } from 'vitest';
import { securePolicies } from '../policies';
import { runPolicies, type PolicyInputResource } from '../run';
import { firstContainer, object, remove, setEnv } from './mutate';
import { renderStack } from './rendered';

let endStack: PolicyInputResource[] = [];

beforeAll(async () => {
  endStack = await renderStack('end');
}, 120_000);

const goodStack = () => structuredClone(endStack);
const api = (stack: PolicyInputResource[]) => object(stack, 'Deployment', 'api');
const jumpwire = (stack: PolicyInputResource[]) => object(stack, 'Deployment', 'jumpwire');
const reconciler = (stack: PolicyInputResource[]) => object(stack, 'CronJob', 'reconciler');
const migrate = (stack: PolicyInputResource[]) => object(stack, 'Job', 'migrate');

function annotate(resource: PolicyInputResource, annotations: Record<string, string>): void {
  const metadata = resource.props.metadata as Record<string, unknown>;
  metadata.annotations = { ...(metadata.annotations as Record<string, string> | undefined), ...annotations };
}

const policiesNamed = (...names: string[]) =>
  securePolicies.filter((entry) => names.includes(entry.policy.name));

describe('waivers', () => {
  it('waive one resource policy for one object when they carry a reason', async () => {
    const stack = goodStack();
    firstContainer(api(stack)).image = 'secure-workshop/api:latest';
    firstContainer(jumpwire(stack)).image = 'ghcr.io/extragoodlabs/jumpwire';
    annotate(api(stack), {
      'secure-workshop.dev/waive-image-tag-pinned': 'local dev image, rebuilt per run',
    });
    const violations = await runPolicies(stack, { policies: policiesNamed('image-tag-pinned') });
    expect(violations.map((v) => v.urn)).toEqual([jumpwire(stack).urn]);
  });

  it('do not waive other policies', async () => {
    const stack = goodStack();
    firstContainer(api(stack)).image = 'secure-workshop/api:latest';
    setEnv(api(stack), 'AUTH_MODE', 'none');
    annotate(api(stack), { 'secure-workshop.dev/waive-image-tag-pinned': 'local dev image' });
    const violations = await runPolicies(stack, {
      policies: policiesNamed('image-tag-pinned', 'api-auth-enabled'),
    });
    expect(violations.map((v) => v.policy)).toEqual(['api-auth-enabled']);
  });

  it.each(['', '   '])(
    'do not waive with an empty reason (%j) and report the waiver itself',
    async (reason) => {
      const stack = goodStack();
      firstContainer(api(stack)).image = 'secure-workshop/api:latest';
      annotate(api(stack), { 'secure-workshop.dev/waive-image-tag-pinned': reason });
      const messages = (await runPolicies(stack, { policies: policiesNamed('image-tag-pinned') })).map(
        (v) => v.message,
      );
      expect(messages).toHaveLength(2);
      expect(messages).toEqual(
        expect.arrayContaining([
          expect.stringMatching(
            /waive-image-tag-pinned" has no reason, so it does not waive image-tag-pinned/,
          ),
          expect.stringMatching(/not pinned \(latest\)/),
        ]),
      );
    },
  );

  it('report a reasonless waiver even when the object complies', async () => {
    const stack = goodStack();
    annotate(api(stack), { 'secure-workshop.dev/waive-api-auth-enabled': '' });
    const violations = await runPolicies(stack, { policies: policiesNamed('api-auth-enabled') });
    expect(violations).toHaveLength(1);
    expect(violations[0]?.message).toMatch(/has no reason/);
  });

  it('drop stack-policy violations reported against the waiving object', async () => {
    const stack = goodStack();
    // allow-dns selects every pod, and network-workload-selected counts it.
    for (const name of ['allow-reconciler', 'allow-migrate', 'allow-dns'])
      remove(stack, 'NetworkPolicy', name);
    annotate(reconciler(stack), {
      'secure-workshop.dev/waive-network-workload-selected': 'egress is enforced by the cluster CNI profile',
    });
    const violations = await runPolicies(stack, { policies: policiesNamed('network-workload-selected') });
    expect(violations.map((v) => v.urn)).toEqual([migrate(stack).urn]);
  });

  it('report a reasonless waiver on a stack policy and keep its violation', async () => {
    const stack = goodStack();
    for (const name of ['allow-reconciler', 'allow-dns']) remove(stack, 'NetworkPolicy', name);
    annotate(reconciler(stack), { 'secure-workshop.dev/waive-network-workload-selected': ' ' });
    const violations = await runPolicies(stack, { policies: policiesNamed('network-workload-selected') });
    expect(violations.map((v) => v.urn)).toEqual([reconciler(stack).urn, reconciler(stack).urn]);
    expect(violations.map((v) => v.message).join('\n')).toMatch(/has no reason[\s\S]*is not selected/);
  });
});
