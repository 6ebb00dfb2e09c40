// OAuth 2.0 client credentials (RFC 6749 §4.4): client authentication and the scope ceiling, no I/O.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { OAuthClient } from './config.js';
import { isScope, type Scope } from '@secure-workshop/contracts';

export const ACCESS_TOKEN_LIFETIME_SECONDS = 300;

export type OAuthErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'invalid_scope'
  // RFC 6749 §4.1.2.1's code for "try again later", answered with 429 and Retry-After.
  | 'temporarily_unavailable';

export class OAuthError extends Error {
  constructor(
    readonly code: OAuthErrorCode,
    readonly description: string,
    readonly retryAfterSeconds?: number,
  ) {
    super(description);
  }
  get status(): number {
    if (this.code === 'temporarily_unavailable') return 429;
    return this.code === 'invalid_client' ? 401 : 400;
  }
}

export interface ClientCredentials {
  clientId: string;
  secret: string;
}

// RFC 6749 §2.3.1: id and secret are form-urlencoded before they are joined and base64-encoded.
function formDecode(value: string): string | undefined {
  try {
    return decodeURIComponent(value.replace(/\+/g, ' '));
  } catch {
    return undefined;
  }
}

export function parseBasicAuthorization(header: string | undefined): ClientCredentials | undefined {
  const match = /^Basic +([A-Za-z0-9+/]+={0,2}) *$/i.exec(header ?? '');
  if (!match?.[1]) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 1) return undefined;
  const clientId = formDecode(decoded.slice(0, colon));
  const secret = formDecode(decoded.slice(colon + 1));
  if (!clientId || secret === undefined) return undefined;
  return { clientId, secret };
}

// Compared against when the client id is unknown, so that answer takes as long as a wrong secret.
const UNKNOWN_CLIENT_HASH = Buffer.alloc(32);

/** The registered client whose secret matches, compared in constant time; undefined otherwise. */
export function authenticateClient(
  clients: readonly OAuthClient[],
  credentials: ClientCredentials,
): OAuthClient | undefined {
  const client = clients.find((candidate) => candidate.clientId === credentials.clientId);
  const presented = createHash('sha256').update(credentials.secret, 'utf8').digest();
  const matches = timingSafeEqual(presented, client?.secretSha256 ?? UNKNOWN_CLIENT_HASH);
  return client && matches ? client : undefined;
}

/** Scopes to grant: the requested ones if all are within the client's ceiling, else the whole ceiling. */
export function grantScopes(client: OAuthClient, requested: string | undefined): Scope[] {
  const asked = (requested ?? '').split(' ').filter((scope) => scope !== '');
  if (asked.length === 0) {
    if (client.scopes.length === 0)
      throw new OAuthError('invalid_scope', 'this client may not request any scope');
    return [...client.scopes];
  }
  const beyond = asked.filter((scope) => !isScope(scope) || !client.scopes.includes(scope));
  if (beyond.length > 0) {
    throw new OAuthError('invalid_scope', `scope beyond this client's allowance: ${beyond[0]?.slice(0, 40)}`);
  }
  return [...new Set(asked)] as Scope[];
}
