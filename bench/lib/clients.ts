// Credentials for the load: ES256 access tokens from the API's token endpoint, HS256 tokens for the baseline.
import { createHmac } from 'node:crypto';
import { request } from 'node:https';

export interface TokenRequest {
  tokenUrl: string;
  ca: string;
  clientTls: { cert: string; key: string };
  clientId: string;
  secret: string;
  scope: string;
}

export function basicAuthorization(clientId: string, secret: string): string {
  const encode = (text: string): string => encodeURIComponent(text).replace(/%20/g, '+');
  return `Basic ${Buffer.from(`${encode(clientId)}:${encode(secret)}`).toString('base64')}`;
}

export function tokenRequestBody(scope: string): string {
  return new URLSearchParams({ grant_type: 'client_credentials', scope }).toString();
}

/** One client-credentials grant over HTTPS, trusting only the workshop CA. */
export function fetchAccessToken(options: TokenRequest): Promise<string> {
  const body = tokenRequestBody(options.scope);
  return new Promise((resolve, reject) => {
    const req = request(
      options.tokenUrl,
      {
        method: 'POST',
        ca: options.ca,
        ...options.clientTls,
        headers: {
          authorization: basicAuthorization(options.clientId, options.secret),
          'content-type': 'application/x-www-form-urlencoded',
          'content-length': Buffer.byteLength(body),
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => {
          const token = (JSON.parse(text) as { access_token?: string }).access_token;
          if (res.statusCode === 200 && token) resolve(token);
          else reject(new Error(`token endpoint answered ${res.statusCode}`));
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** An HS256 token shaped like the seed workshop's (username plus permissions), 30 minutes. */
export function hs256Token(secret: string, permissions: string[]): string {
  const now = Math.floor(Date.now() / 1000);
  const part = (value: object): string => Buffer.from(JSON.stringify(value)).toString('base64url');
  const unsigned = `${part({ alg: 'HS256', typ: 'JWT' })}.${part({ username: 'bench', permissions, iat: now, exp: now + 1800 })}`;
  return `${unsigned}.${createHmac('sha256', secret).update(unsigned).digest('base64url')}`;
}
