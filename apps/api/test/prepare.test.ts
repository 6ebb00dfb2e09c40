// PGPREPARE=off: behind JumpWire 4.0.0, which does not track named prepared statements, the API must
// never create one. A proxy between the API and PostgreSQL reads the wire protocol to prove it.
import { createServer, connect, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadDbConfig } from '../src/config.js';
import { startApi } from '../src/start.js';
import { LogCapture, jsonRequest, request, startDatabase, type Database } from './helpers.js';

/** Statement names of every Parse message the clients sent (the empty name is the unnamed statement). */
interface WireProxy {
  port: number;
  parsed: string[];
  close(): Promise<void>;
}

/** Frontend messages: type byte and int32 length, except the first (startup) message, which has no type. */
function watchFrontend(onParse: (name: string) => void): (chunk: Buffer) => void {
  let pending = Buffer.alloc(0);
  let started = false;
  return (chunk) => {
    pending = Buffer.concat([pending, chunk]);
    for (;;) {
      const header = started ? 5 : 4;
      if (pending.length < header) return;
      const length = pending.readInt32BE(started ? 1 : 0);
      const total = (started ? 1 : 0) + length;
      if (pending.length < total) return;
      if (started && pending[0] === 0x50 /* 'P' */) {
        onParse(pending.toString('utf8', 5, pending.indexOf(0, 5)));
      }
      started = true;
      pending = pending.subarray(total);
    }
  };
}

async function startWireProxy(target: { host: string; port: number }): Promise<WireProxy> {
  const parsed: string[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(target.port, target.host);
    sockets.add(client).add(upstream);
    const watch = watchFrontend((name) => parsed.push(name));
    client.on('data', (chunk: Buffer) => {
      watch(chunk);
      upstream.write(chunk);
    });
    upstream.pipe(client);
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('close', end).on('error', end);
    upstream.on('close', end).on('error', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : 0,
    parsed,
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

let db: Database;

beforeAll(async () => {
  db = await startDatabase();
});
afterAll(async () => {
  await db?.stop();
});

/** The API's usual work through the proxy, each query several times (the client caches after the first). */
async function exerciseApi(prepare: 'on' | 'off'): Promise<string[]> {
  const proxy = await startWireProxy({ host: db.pg.host, port: db.pg.port });
  const api = await startApi(
    {
      ...db.pg.env,
      PGPORT: String(proxy.port),
      PGPREPARE: prepare,
      AUTH_MODE: 'none',
      PORT: '0',
      LOG_LEVEL: 'silent',
    },
    { logStream: new LogCapture() },
  );
  try {
    for (let round = 0; round < 3; round += 1) {
      for (const path of [
        '/users?limit=5',
        '/users/3',
        '/transactions?user_id=2&fields=amount',
        '/transactions/9',
      ]) {
        expect((await request(`${api.url}${path}`)).status, path).toBe(200);
      }
      const created = await jsonRequest(`${api.url}/transactions`, 'POST', {
        amount: '1.00',
        currency: 'USD',
        description: 'prepare',
        user_id: 1,
      });
      expect(created.status).toBe(201);
      const id = created.json<{ id: number }>().id;
      expect(
        (await jsonRequest(`${api.url}/transactions/${id}`, 'PUT', { description: 'again' })).status,
      ).toBe(200);
      expect((await request(`${api.url}/transactions/${id}`, { method: 'DELETE' })).status).toBe(204);
    }
  } finally {
    await api.close();
    await proxy.close();
  }
  return proxy.parsed;
}

describe('PGPREPARE', () => {
  it('off: every statement the API sends is unnamed', async () => {
    const names = await exerciseApi('off');
    expect(names.length).toBeGreaterThanOrEqual(21);
    expect(new Set(names)).toEqual(new Set(['']));
  });

  it('on (the default): the client names and reuses its statements, which is what the proxy sees', async () => {
    const names = await exerciseApi('on');
    const named = names.filter((name) => name !== '');
    expect(named.length).toBeGreaterThan(0);
    // Reused, not re-parsed: fewer Parse messages than queries run.
    expect(names.length).toBeLessThan(21);
  });

  it('defaults to on and accepts only on or off', () => {
    const base = { PGSSLMODE: 'disable' };
    expect(loadDbConfig(base).prepare).toBe(true);
    expect(loadDbConfig({ ...base, PGPREPARE: 'off' }).prepare).toBe(false);
    expect(() => loadDbConfig({ ...base, PGPREPARE: 'false' })).toThrow(ConfigError);
    expect(() => loadDbConfig({ ...base, PGPREPARE: 'false' })).toThrow(
      /PGPREPARE=false is not one of on, off/,
    );
  });
});
