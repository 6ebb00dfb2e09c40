import { ReconcilerError } from './errors.js';
import type { HttpClient } from './http.js';
import { parseNextLink } from './link.js';
import { MalformedPageError } from './records.js';

export interface PageSource {
  http: HttpClient;
  /** Returns the `Authorization` header value for the next request, or undefined when anonymous. */
  authorization(): Promise<string | undefined>;
  /** The run's deadline, passed to every request. */
  signal?: AbortSignal;
}

/** Pages read so far in the run, and how many it may read at most. */
export interface PageStats {
  pages: number;
  maxPages: number;
}

/**
 * Streams the records of a keyset-paginated list, one page in memory at a time, following
 * `Link: <...>; rel="next"` and validating every item with `toRecord`.
 */
export async function* paginate<T extends { id: number }>(
  source: PageSource,
  firstUrl: string,
  toRecord: (item: unknown, index: number) => T,
  stats: PageStats,
): AsyncGenerator<T[]> {
  const origin = new URL(firstUrl).origin;
  let url: string | undefined = firstUrl;
  let lastId = -1;
  while (url !== undefined) {
    const where = describe(url);
    source.signal?.throwIfAborted();
    if (stats.pages >= stats.maxPages) {
      throw new ReconcilerError(
        `read RECONCILER_MAX_PAGES=${stats.maxPages} pages and the API still sends next links (next: ${where})`,
        'limit',
      );
    }
    const authorization = await source.authorization();
    const response = await source.http.send({
      method: 'GET',
      url,
      headers: { accept: 'application/json', ...(authorization ? { authorization } : {}) },
      ...(source.signal ? { signal: source.signal } : {}),
    });
    if (response.status === 401 || response.status === 403) {
      throw new ReconcilerError(
        `${where} answered ${response.status} ${response.status === 401 ? 'Unauthorized (token missing, expired or not accepted)' : 'Forbidden (the token lacks the scope)'}`,
        'auth',
      );
    }
    if (response.status !== 200) {
      const retried = response.attempts > 1 ? ` after ${response.attempts} attempts` : '';
      throw new ReconcilerError(`${where} answered ${response.status}${retried}`, 'http');
    }
    let items: unknown;
    try {
      items = JSON.parse(response.body);
    } catch {
      throw new MalformedPageError(`malformed page from ${where}: body is not JSON`);
    }
    if (!Array.isArray(items))
      throw new MalformedPageError(`malformed page from ${where}: body is not a JSON array`);
    const records: T[] = [];
    for (let index = 0; index < items.length; index += 1) {
      let record: T;
      try {
        record = toRecord(items[index], index);
      } catch (error) {
        if (error instanceof MalformedPageError)
          throw new MalformedPageError(`malformed page from ${where}: ${error.message}`);
        throw error;
      }
      // Keyset pages are ordered by id; a repeat or step back would double-count or loop.
      if (record.id <= lastId) {
        throw new MalformedPageError(
          `malformed page from ${where}: item ${index}: id ${record.id} is not after ${lastId}`,
        );
      }
      lastId = record.id;
      records.push(record);
    }
    stats.pages += 1;
    yield records;

    const next = parseNextLink(response.headers.link, url);
    if (next !== undefined && new URL(next).origin !== origin) {
      // Following it would send our bearer token to another host.
      throw new ReconcilerError(
        `${where} sent a next link to another origin (${new URL(next).origin}); refusing it`,
        'http',
      );
    }
    if (next !== undefined && items.length === 0) {
      throw new MalformedPageError(`malformed page from ${where}: empty page with a next link`);
    }
    url = next;
  }
}

function describe(url: string): string {
  const parsed = new URL(url);
  return `GET ${parsed.pathname}${parsed.search}`;
}
