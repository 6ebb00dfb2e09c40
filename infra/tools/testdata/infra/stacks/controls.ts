// The fixture's catalog, shaped like infra/stacks/controls.ts, for the tools' tests.
export interface Control {
  id: string;
  owasp: string;
  title: string;
  why: string;
  requires: string[];
}

export const controls: Control[] = [
  {
    id: 'authn-jwt',
    owasp: 'A01',
    title: 'JWT authentication',
    why: 'Every caller proves who it is.',
    requires: [],
  },
  {
    id: 'tls-in-transit',
    owasp: 'A02',
    title: 'TLS in transit',
    why: 'Nobody on the path reads traffic.',
    requires: [],
  },
  { id: 'db-tls', owasp: 'A02', title: 'Database TLS', why: 'Database traffic is encrypted.', requires: [] },
  {
    id: 'db-firewall',
    owasp: 'A04',
    title: 'Database firewall',
    why: 'Sensitive columns are guarded.',
    requires: ['db-tls'],
  },
  {
    id: 'api-gateway',
    owasp: 'A04',
    title: 'API gateway',
    why: 'One hardened entry point.',
    requires: ['authn-jwt'],
  },
];
