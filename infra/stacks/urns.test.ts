// URNs are how Pulumi knows a resource across `pulumi up`s: a refactor that changes one replaces the
// resource (a new Job, a new password) unless the resource says where it came from (`aliases`).
// This pins them; when a change is meant, update urns.json and give moved resources an alias.
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runStack } from '../testing/stack-queries';

const pinned = JSON.parse(readFileSync(path.join(__dirname, 'urns.json'), 'utf8')) as Record<
  string,
  string[]
>;

describe.each(['start', 'end'])('the %s stack', (stack) => {
  it('keeps every URN (urns.json), or says in the diff that it moves one', async () => {
    const run = await runStack(stack);
    const urns = run.resources
      .map((resource) => resource.urn.replace(/^urn:pulumi:[a-z]+::secure-workshop::/, ''))
      .sort();
    expect(urns).toEqual(pinned[stack]);
  });
});
