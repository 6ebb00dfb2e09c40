import type { OAuthSettings } from './config.js';
import { ReconcilerError } from './errors.js';
import type { HttpClient } from './http.js';
import { Secret } from './secret.js';

export interface AccessToken {
  token: Secret;
  /** Epoch milliseconds after which the token must not be used any more. */
  expiresAt: number;
}

// RFC 6750 b64token: what a bearer token may contain, nothing that could split a header.
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;

/** RFC 6749 §2.3.1: client id and secret are form-encoded before Basic encoding. */
export function basicCredentials(clientId: string, secret: Secret): string {
  const encode = (text: string) => encodeURIComponent(text).replace(/%20/g, '+');
  return `Basic ${Buffer.from(`${encode(clientId)}:${encode(secret.reveal())}`).toString('base64')}`;
}

/** Client-credentials grant (RFC 6749 §4.4); errors name the RFC error code, never a credential. */
export async function fetchAccessToken(
  http: HttpClient,
  oauth: OAuthSettings,
  now: () => number = Date.now,
  signal?: AbortSignal,
): Promise<AccessToken> {
  const requestedAt = now();
  const response = await http.send({
    ...(signal ? { signal } : {}),
    method: 'POST',
    url: oauth.tokenUrl,
    headers: {
      authorization: basicCredentials(oauth.clientId, oauth.clientSecret),
      'content-type': 'application/x-www-form-urlencoded',
      accept: 'application/json',
    },
    body: new URLSearchParams({ grant_type: 'client_credentials', scope: oauth.scope }).toString(),
  });
  const where = `token endpoint ${new URL(oauth.tokenUrl).origin}${new URL(oauth.tokenUrl).pathname}`;
  const body = parseJsonObject(response.body);

  if (response.status !== 200) {
    const code = typeof body?.error === 'string' && /^[\w.-]{1,64}$/.test(body.error) ? ` ${body.error}` : '';
    const hint =
      response.status === 401 || code === ' invalid_client'
        ? '; the client id or the secret in OAUTH_CLIENT_SECRET_FILE was refused'
        : code === ' invalid_scope'
          ? `; OAUTH_SCOPE ${JSON.stringify(oauth.scope)} is beyond what the client may have`
          : '';
    const retried = response.attempts > 1 ? ` after ${response.attempts} attempts` : '';
    throw new ReconcilerError(`${where} answered ${response.status}${code}${retried}${hint}`, 'auth');
  }
  const token = body?.access_token;
  const tokenType = body?.token_type;
  const expiresIn = body?.expires_in;
  if (typeof token !== 'string' || !B64TOKEN.test(token)) {
    throw new ReconcilerError(`${where} answered 200 without a usable access_token`, 'auth');
  }
  if (typeof tokenType !== 'string' || tokenType.toLowerCase() !== 'bearer') {
    throw new ReconcilerError(`${where} issued a token_type other than Bearer`, 'auth');
  }
  // Without expires_in, assume the API's 15-minute ceiling rather than forever.
  const lifetimeSeconds = typeof expiresIn === 'number' && expiresIn > 0 ? expiresIn : 900;
  return { token: new Secret(token), expiresAt: requestedAt + lifetimeSeconds * 1000 };
}

function parseJsonObject(text: string): Record<string, unknown> | undefined {
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}
