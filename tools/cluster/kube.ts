// A small Kubernetes API client over node:https with the admin client certificate: discovery,
// server-side apply, get, list, create, delete; every response's `Warning` headers are kept.
import { readFileSync } from 'node:fs';
import * as https from 'node:https';

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; [key: string]: unknown };
  [key: string]: unknown;
}

export interface ApiResponse<T = unknown> {
  status: number;
  body: T;
  warnings: string[];
}

/** An API error with the server's own message (Status.message), one line. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly reason: string,
    readonly warnings: string[],
  ) {
    super(message);
  }
}

export const FIELD_MANAGER = 'secure-workshop-check';

/** The text of each `Warning: 299 - "text"` header (RFC 7234 §5.5), unescaped. */
export function parseWarningHeaders(rawHeaders: readonly string[]): string[] {
  const warnings: string[] = [];
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    if ((rawHeaders[i] as string).toLowerCase() !== 'warning') continue;
    const value = rawHeaders[i + 1] as string;
    const match = /^\d{3} \S+ "((?:[^"\\]|\\.)*)"/.exec(value);
    warnings.push(match ? (match[1] as string).replace(/\\(.)/g, '$1') : value);
  }
  return warnings;
}

interface Resource {
  plural: string;
  namespaced: boolean;
}

export class Kube {
  private readonly agent: https.Agent;
  private readonly discovered = new Map<string, Map<string, Resource>>();

  constructor(
    readonly server: string,
    tls: { ca: string; cert: string; key: string },
  ) {
    this.agent = new https.Agent({
      ca: readFileSync(tls.ca),
      cert: readFileSync(tls.cert),
      key: readFileSync(tls.key),
      keepAlive: true,
      maxSockets: 8,
    });
  }

  close(): void {
    this.agent.destroy();
  }

  request<T = unknown>(
    method: string,
    path: string,
    body?: unknown,
    contentType = 'application/json',
  ): Promise<ApiResponse<T>> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = https.request(
        `${this.server}${path}`,
        {
          method,
          agent: this.agent,
          headers: {
            accept: 'application/json',
            ...(payload === undefined ? {} : { 'content-type': contentType }),
          },
          timeout: 60_000,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            const warnings = parseWarningHeaders(res.rawHeaders);
            let parsed: unknown = text;
            try {
              parsed = text === '' ? {} : JSON.parse(text);
            } catch {
              // /healthz and friends answer plain text.
            }
            const status = res.statusCode ?? 0;
            if (status >= 400) {
              const record =
                typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : {};
              const message = typeof record.message === 'string' ? record.message : text.trim();
              const reason = typeof record.reason === 'string' ? record.reason : String(status);
              reject(new ApiError(status, `${method} ${path}: ${message}`, reason, warnings));
            } else resolve({ status, body: parsed as T, warnings });
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error(`${method} ${path}: no answer in 60s`)));
      req.on('error', reject);
      if (payload !== undefined) req.write(payload);
      req.end();
    });
  }

  /** Plural name and scope of a kind, from the API's discovery documents (refreshed on a miss). */
  async resource(apiVersion: string, kind: string): Promise<Resource> {
    let kinds = this.discovered.get(apiVersion);
    if (kinds === undefined || !kinds.has(kind)) {
      const base = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
      const { body } = await this.request<{ resources: Array<Resource & { name: string; kind: string }> }>(
        'GET',
        base,
      ).catch((error: unknown) => {
        if (error instanceof ApiError && error.status === 404)
          throw new ApiError(404, `the server has no ${apiVersion} (${kind})`, 'NotFound', []);
        throw error;
      });
      kinds = new Map(
        body.resources
          .filter((r) => !r.name.includes('/'))
          .map((r) => [r.kind, { plural: r.name, namespaced: r.namespaced }]),
      );
      this.discovered.set(apiVersion, kinds);
    }
    const found = kinds.get(kind);
    if (found === undefined)
      throw new ApiError(404, `the server has no kind ${kind} in ${apiVersion}`, 'NotFound', []);
    return found;
  }

  /** The URL path of an object (or of its collection when `name` is omitted). */
  async path(
    apiVersion: string,
    kind: string,
    namespace: string | undefined,
    name?: string,
  ): Promise<string> {
    const { plural, namespaced } = await this.resource(apiVersion, kind);
    const base = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
    const scope = namespaced ? `/namespaces/${encodeURIComponent(namespace ?? 'default')}` : '';
    return `${base}${scope}/${plural}${name === undefined ? '' : `/${encodeURIComponent(name)}`}`;
  }

  /** Server-side apply as `fieldManager`, taking over conflicting fields as `pulumi up` does. */
  async apply(object: KubeObject, fieldManager = FIELD_MANAGER): Promise<ApiResponse<KubeObject>> {
    const target = await this.path(
      object.apiVersion,
      object.kind,
      object.metadata.namespace,
      object.metadata.name,
    );
    // The server's default field validation (Warn): unknown fields come back as warnings, as the provider sees them.
    const query = `?fieldManager=${encodeURIComponent(fieldManager)}&force=true`;
    return this.request<KubeObject>('PATCH', `${target}${query}`, object, 'application/apply-patch+yaml');
  }

  async get<T = KubeObject>(apiVersion: string, kind: string, namespace: string | undefined, name: string) {
    return (await this.request<T>('GET', await this.path(apiVersion, kind, namespace, name))).body;
  }

  async list<T = KubeObject>(apiVersion: string, kind: string, namespace?: string, query = ''): Promise<T[]> {
    const { body } = await this.request<{ items: T[] }>(
      'GET',
      `${await this.path(apiVersion, kind, namespace)}${query}`,
    );
    return body.items;
  }

  async create(object: KubeObject): Promise<ApiResponse<KubeObject>> {
    return this.request<KubeObject>(
      'POST',
      await this.path(object.apiVersion, object.kind, object.metadata.namespace),
      object,
    );
  }

  /** Deletes with foreground propagation, as the Pulumi provider does; a missing object is no error. */
  async delete(
    apiVersion: string,
    kind: string,
    namespace: string | undefined,
    name: string,
  ): Promise<string[]> {
    try {
      const target = await this.path(apiVersion, kind, namespace, name);
      const { warnings } = await this.request('DELETE', `${target}?propagationPolicy=Foreground`);
      return warnings;
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) return error.warnings;
      throw error;
    }
  }

  /** True once the object is gone (404). */
  async gone(
    apiVersion: string,
    kind: string,
    namespace: string | undefined,
    name: string,
  ): Promise<boolean> {
    try {
      await this.get(apiVersion, kind, namespace, name);
      return false;
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) return true;
      throw error;
    }
  }
}

/** Thrown by a probe to stop waiting at once (anything else thrown is retried until the timeout). */
export class WaitAborted extends Error {}

/** Polls `probe` until it returns a value other than undefined, or throws after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  { timeoutMs = 60_000, intervalMs = 250 } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      if (error instanceof WaitAborted) throw error;
      last = error;
    }
    if (Date.now() > deadline) {
      const detail = last instanceof Error ? `: ${last.message}` : '';
      throw new Error(`timed out after ${Math.round(timeoutMs / 1000)}s waiting for ${what}${detail}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
