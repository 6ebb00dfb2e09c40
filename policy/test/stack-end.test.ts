import { describe, expect, it } from 'vitest';
import { checkRenderedStack, describeViolations } from './rendered';

describe('the rendered end stack', () => {
  it('passes every policy of the pack', async () => {
    expect(describeViolations(await checkRenderedStack('end'))).toEqual([]);
  });
});
