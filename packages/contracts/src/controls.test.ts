import { describe, expect, it } from 'vitest';
import {
  CONTROLS,
  CONTROL_IDS,
  ControlsError,
  getControl,
  requirementsOf,
  resolveControls,
  withRequirements,
} from './controls';

describe('controls catalog', () => {
  it('describes every control once, with an OWASP category and a why', () => {
    expect(CONTROLS.map((control) => control.id)).toEqual([...CONTROL_IDS]);
    for (const control of CONTROLS) {
      expect(['A01', 'A02', 'A04', 'A05', 'A09']).toContain(control.owasp);
      expect(control.why.length, control.id).toBeGreaterThan(80);
      for (const required of control.requires) expect(CONTROL_IDS).toContain(required);
    }
  });

  it('has the requirements the design names', () => {
    expect(getControl('db-firewall').requires).toEqual(['db-tls', 'network-policies']);
    expect(getControl('authz-scopes').requires).toContain('authn-jwt');
    expect(getControl('mtls-internal').requires).toContain('tls-in-transit');
  });

  it('resolves requirements transitively and in catalog order', () => {
    expect(requirementsOf('api-gateway')).toEqual(['authn-jwt', 'tls-in-transit']);
    expect(withRequirements('db-firewall')).toEqual(['db-tls', 'db-firewall', 'network-policies']);
    expect(requirementsOf('pod-hardening')).toEqual([]);
  });

  it('accepts the full set and any requirement-closed subset, de-duplicated', () => {
    expect(resolveControls([...CONTROL_IDS].reverse())).toEqual([...CONTROL_IDS]);
    expect(resolveControls(['db-tls', 'db-tls'])).toEqual(['db-tls']);
    for (const id of CONTROL_IDS) expect(resolveControls(withRequirements(id))).toContain(id);
  });

  it('names unknown ids and missing requirements and lists the valid ids', () => {
    expect(() => resolveControls(['mtls'])).toThrow(ControlsError);
    expect(() => resolveControls(['mtls', 'waf'])).toThrow(
      /^unknown controls "mtls", "waf"; valid controls are: authn-jwt, authz-scopes,/,
    );
    expect(() => resolveControls(['api-gateway', 'authn-jwt'])).toThrow(
      /missing control requirements: "api-gateway" requires "tls-in-transit"; valid controls are:/,
    );
    // Without NetworkPolicies the API could reach PostgreSQL past the firewall.
    expect(() => resolveControls(['db-tls', 'db-firewall'])).toThrow(
      /missing control requirements: "db-firewall" requires "network-policies";/,
    );
  });
});
