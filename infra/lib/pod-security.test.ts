import { describe, expect, it } from 'vitest';
import { ControlTrail, controlAnnotations } from './labels';
import { restrictedContainerSecurityContext, restrictedPodSecurityContext } from './pod-security';

describe('pod security presets', () => {
  it('builds the restricted pod context with a numeric non-root user', () => {
    expect(restrictedPodSecurityContext({ user: 70, fsGroup: 70 })).toEqual({
      runAsNonRoot: true,
      runAsUser: 70,
      runAsGroup: 70,
      fsGroup: 70,
      fsGroupChangePolicy: 'OnRootMismatch',
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(() => restrictedPodSecurityContext({ user: 0 })).toThrow(/positive numeric uid/);
  });

  it('drops every capability and makes the root file system read-only', () => {
    expect(restrictedContainerSecurityContext()).toMatchObject({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
    });
  });
});

describe('control annotations', () => {
  it('lists applied controls in catalog order and only those that are on', () => {
    const applied = new ControlTrail(new Set(['pod-hardening', 'authn-jwt']));
    expect(applied.ifOn('pod-hardening')).toBe(true);
    expect(applied.ifOn('db-tls')).toBe(false);
    applied.record('authn-jwt', 'db-firewall');
    expect(applied.annotations()).toEqual({ 'secure-workshop.dev/controls': 'authn-jwt,pod-hardening' });
    expect(controlAnnotations([])).toEqual({});
  });
});
