// The CrossGuard entry point: `pulumi preview --policy-pack policy`. Constructing the pack starts the
// analyzer server, so nothing imports this file; tools and tests use ./run and ./policies.
import { PolicyPack } from '@pulumi/policy';
import { policies } from './policies';

new PolicyPack('secure-workshop', {
  description: 'secure-workshop: the hardened architecture (OWASP Top 10 2021) as mandatory policies.',
  enforcementLevel: 'mandatory',
  policies,
});
