// What the API publishes and its callers and infrastructure rely on: ports, token audience and
// issuer default, the OAuth clients the stacks register and their scope ceilings.
import { SCOPES, type Scope } from './scopes';

/** The API's listeners: plain HTTP (start), HTTPS (tls-in-transit) and the separate metrics/probes port. */
export const API_PORTS = { http: 3000, https: 8443, metrics: 9464 } as const;
/** `aud` of every access token (RFC 9068), checked by the API and by the gateway's JWT plugin. */
export const JWT_AUDIENCE = 'secure-workshop-api';
/** `iss` when JWT_ISSUER is not set (the stacks set `https://api.<namespace>.svc`). */
export const DEFAULT_JWT_ISSUER = 'secure-workshop';
/** The OAuth clients the stacks register with the API. */
export const OAUTH_CLIENTS = { reconciler: 'reconciler', workshop: 'workshop' } as const;
/** Least privilege for the batch job: it only reads. */
export const RECONCILER_SCOPES: readonly Scope[] = ['read:user', 'read:transaction'];
/** Every scope: the workshop's own client, and the reconciler without authz-scopes. */
export const ALL_SCOPES: readonly Scope[] = SCOPES;
/** What each scope allows, as the API's OpenAPI document describes it. */
export const SCOPE_DESCRIPTIONS: Readonly<Record<Scope, string>> = {
  'read:user': 'Read users',
  'modify:user': 'Create, change and delete users',
  'read:transaction': 'Read transactions',
  'modify:transaction': 'Create, change and delete transactions',
};
