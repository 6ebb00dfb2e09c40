import { describe, expect, it } from 'vitest';
import { parseWarningHeaders } from './kube';
import { subjectName } from './pki';

describe('parseWarningHeaders', () => {
  it('reads each Warning header on its own, commas and escaped quotes included', () => {
    expect(
      parseWarningHeaders([
        'Content-Type',
        'application/json',
        'Warning',
        '299 - "would violate PodSecurity \\"restricted:latest\\": a, b"',
        'warning',
        '299 - "second"',
      ]),
    ).toEqual(['would violate PodSecurity "restricted:latest": a, b', 'second']);
  });
});

describe('subjectName', () => {
  it('puts the group in O and escapes what could add an attribute', () => {
    expect(subjectName({ commonName: 'system:node:n', organization: 'system:nodes' })).toBe(
      'O=system:nodes, CN=system:node:n',
    );
    expect(subjectName({ commonName: 'a, O=system:masters' })).toBe('CN=a\\, O\\=system:masters');
  });
});
