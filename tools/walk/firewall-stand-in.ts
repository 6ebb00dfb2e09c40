// FIREWALL STAND-IN for JumpWire 4.0.0 (ghcr.io/extragoodlabs/jumpwire), which the walk cannot run
// (no Elixir release here). It is not a mock of our code: it stands in for a third-party component,
// doing only the parts of JumpWire that the stacks' configuration decides, read from the same places
// (jumpwire-gateway.ts's pod: JUMPWIRE_CONFIG_PATH, JUMPWIRE_ROOT_TOKEN, JUMPWIRE_TLS_*):
// - the PostgreSQL proxy port with TLS from jumpwire's certificate (JumpWire also accepts plaintext);
// - a client logs in with user = a manifest id and password = a token signed with the root token
//   (Plug.Crypto.sign(secret, "manifest", {org_id, client_id}, max_age), verified as
//   Plug.Crypto.verify does: HMAC over the signed payload with the PBKDF2-derived key, then the age);
//   the client must be a `client_auth` entry of that manifest (lib/jumpwire/proxy/postgres.ex);
// - it then logs in upstream exactly as the manifest says: credentials username/password, hostname,
//   port, database; with `ssl` it verifies the server against JUMPWIRE_TLS_PROXY_CA (default
//   JUMPWIRE_TLS_CA) and the hostname (config/runtime.exs, postgres/setup.ex postgrex_params),
//   answering SCRAM-SHA-256 or MD5 like JumpWire;
// - after that it only pipes bytes.
// It does NOT encrypt `pci` fields or drop `secret` ones: every experiment about ciphertext or dropped
// fields is cluster only.
import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { type Server, type Socket, connect as tcpConnect, createServer } from 'node:net';
import * as path from 'node:path';
import { TLSSocket, connect as tlsConnect, createSecureContext } from 'node:tls';
import { parse as parseYaml } from 'yaml';

const PROTECTED_HEADER = 'SFMyNTY'; // base64url("HS256")
const SALT = 'manifest';
const ORG_ID = 'org_generic';

export type TokenCheck =
  { ok: true; orgId: string; clientId: string } | { ok: false; reason: 'invalid' | 'expired' };

/** Erlang external terms, the few kinds Plug.Crypto's payload uses. */
type Term = string | number | bigint | Term[] | { atom: string };

function decodeTerm(bytes: Buffer): Term {
  let at = 0;
  const need = (count: number) => {
    if (at + count > bytes.length) throw new Error('truncated term');
  };
  const next = (): Term => {
    need(1);
    const tag = bytes[at++] as number;
    switch (tag) {
      case 97:
        need(1);
        return bytes[at++] as number;
      case 98:
        need(4);
        at += 4;
        return bytes.readInt32BE(at - 4);
      case 110: {
        need(2);
        const count = bytes[at] as number;
        const negative = bytes[at + 1] === 1;
        at += 2;
        need(count);
        let value = 0n;
        for (let i = count - 1; i >= 0; i -= 1) value = (value << 8n) | BigInt(bytes[at + i] as number);
        at += count;
        return negative ? -value : value;
      }
      case 104: {
        need(1);
        const arity = bytes[at++] as number;
        return Array.from({ length: arity }, next);
      }
      case 109: {
        need(4);
        const length = bytes.readUInt32BE(at);
        at += 4;
        need(length);
        at += length;
        return bytes.subarray(at - length, at).toString('utf8');
      }
      case 100:
      case 118: {
        need(2);
        const length = bytes.readUInt16BE(at);
        at += 2;
        need(length);
        at += length;
        return { atom: bytes.subarray(at - length, at).toString('utf8') };
      }
      case 119: {
        need(1);
        const length = bytes[at++] as number;
        need(length);
        at += length;
        return { atom: bytes.subarray(at - length, at).toString('utf8') };
      }
      default:
        throw new Error(`term tag ${tag} is not expected in a token`);
    }
  };
  if (bytes[at++] !== 131) throw new Error('not an external term');
  const term = next();
  if (at !== bytes.length) throw new Error('trailing bytes after the term');
  return term;
}

const asNumber = (term: Term | undefined): number | undefined =>
  typeof term === 'number' ? term : typeof term === 'bigint' ? Number(term) : undefined;

/** JumpWire's check of a client token: Plug.Crypto.verify(secret, "manifest", token) at `nowMs`. */
export function verifyClientToken(secret: string, token: string, nowMs: number): TokenCheck {
  const parts = token.split('.');
  if (parts.length !== 3 || parts[0] !== PROTECTED_HEADER) return { ok: false, reason: 'invalid' };
  const [header, payload, mac] = parts as [string, string, string];
  const key = pbkdf2Sync(secret, SALT, 1000, 32, 'sha256');
  const expected = createHmac('sha256', key).update(`${header}.${payload}`).digest();
  const given = Buffer.from(mac, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected))
    return { ok: false, reason: 'invalid' };
  let term: Term;
  try {
    term = decodeTerm(Buffer.from(payload, 'base64url'));
  } catch {
    return { ok: false, reason: 'invalid' };
  }
  if (!Array.isArray(term) || term.length !== 3) return { ok: false, reason: 'invalid' };
  const [data, signedTerm, maxAgeTerm] = term;
  const signed = asNumber(signedTerm);
  if (!Array.isArray(data) || data.length !== 2 || signed === undefined)
    return { ok: false, reason: 'invalid' };
  const [orgId, clientId] = data;
  if (typeof orgId !== 'string' || typeof clientId !== 'string') return { ok: false, reason: 'invalid' };
  const infinite =
    typeof maxAgeTerm === 'object' && !Array.isArray(maxAgeTerm) && maxAgeTerm?.atom === 'infinity';
  const maxAge = asNumber(maxAgeTerm);
  if (!infinite) {
    if (maxAge === undefined || maxAge <= 0 || signed + Math.trunc(maxAge * 1000) < nowMs)
      return { ok: false, reason: 'expired' };
  }
  return { ok: true, orgId, clientId };
}

export interface Manifest {
  id: string;
  username: string;
  password: string;
  hostname: string;
  port: number;
  database: string;
  ssl: boolean;
}

export interface FirewallConfig {
  manifests: Manifest[];
  /** client_auth id -> the manifest id it may use. */
  clients: Map<string, string>;
}

/* eslint-disable @typescript-eslint/no-explicit-any -- JumpWire's YAML, narrowed here */
/** Every *.yaml / *.yml under JUMPWIRE_CONFIG_PATH, as JumpWire loads its directory. */
export function loadFirewallConfig(directory: string): FirewallConfig {
  const config: FirewallConfig = { manifests: [], clients: new Map() };
  for (const file of readdirSync(directory).sort()) {
    if (!/\.ya?ml$/.test(file)) continue;
    const document: any = parseYaml(readFileSync(path.join(directory, file), 'utf8')) ?? {};
    for (const manifest of document.manifests ?? []) {
      if (manifest.root_type !== 'postgresql') continue;
      const settings = manifest.configuration ?? {};
      config.manifests.push({
        id: String(manifest.id),
        username: String(manifest.credentials?.username ?? ''),
        password: String(manifest.credentials?.password ?? ''),
        hostname: String(settings.hostname ?? 'localhost'),
        port: Number(settings.port ?? 5432),
        database: String(settings.database ?? ''),
        ssl: settings.ssl ?? true,
      });
    }
    for (const client of document.client_auth ?? [])
      config.clients.set(String(client.id), String(client.manifest_id));
  }
  return config;
}
/* eslint-enable @typescript-eslint/no-explicit-any */

/** A client may use the manifest it logs in to (user) only if its client_auth entry names it. */
export function authorize(
  config: FirewallConfig,
  secret: string,
  user: string,
  password: string,
  nowMs: number,
): { ok: true; manifest: Manifest } | { ok: false; reason: string } {
  const check = verifyClientToken(secret, password, nowMs);
  if (!check.ok) return { ok: false, reason: `token ${check.reason}` };
  if (check.orgId !== ORG_ID) return { ok: false, reason: 'token of another organization' };
  const manifestId = config.clients.get(check.clientId);
  if (manifestId === undefined) return { ok: false, reason: 'no client_auth entry for the token' };
  if (manifestId !== user) return { ok: false, reason: 'the client may not use this manifest' };
  const manifest = config.manifests.find((entry) => entry.id === user);
  if (manifest === undefined) return { ok: false, reason: 'no such manifest' };
  return { ok: true, manifest };
}

// --- the PostgreSQL wire protocol, as much as a login needs -------------------------------------

const SSL_REQUEST = 80877103;
const GSS_REQUEST = 80877104;
const CANCEL_REQUEST = 80877102;
const PROTOCOL_3 = 196608;

function message(type: string, body: Buffer): Buffer {
  const header = Buffer.alloc(5);
  header.write(type, 0, 'latin1');
  header.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([header, body]);
}

function int32(value: number): Buffer {
  const buffer = Buffer.alloc(4);
  buffer.writeInt32BE(value);
  return buffer;
}

const cstring = (text: string) => Buffer.from(`${text}\0`, 'utf8');

/** ErrorResponse; JumpWire's failed login is ERROR 28P01 "invalid password" (proxy/postgres/messages.ex). */
export function errorResponse(severity: 'ERROR' | 'FATAL', code: string, text: string): Buffer {
  return message(
    'E',
    Buffer.concat([cstring(`S${severity}`), cstring(`C${code}`), cstring(`M${text}`), Buffer.from([0])]),
  );
}

function startupMessage(params: Record<string, string>): Buffer {
  const body = Buffer.concat([
    int32(PROTOCOL_3),
    ...Object.entries(params).flatMap(([key, value]) => [cstring(key), cstring(value)]),
    Buffer.from([0]),
  ]);
  return Buffer.concat([int32(body.length + 4), body]);
}

function parseStartup(body: Buffer): Record<string, string> {
  const fields = body.subarray(4).toString('utf8').split('\0');
  const params: Record<string, string> = {};
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const key = fields[i] as string;
    if (key === '') break;
    params[key] = fields[i + 1] as string;
  }
  return params;
}

/** Reads whole protocol messages from a socket that may be swapped for its TLS wrapper. */
class Wire {
  private buffer = Buffer.alloc(0);
  private wake: (() => void) | undefined;
  private closed = false;
  private readonly onData = (chunk: Buffer) => {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    this.wake?.();
  };
  private readonly onEnd = () => {
    this.closed = true;
    this.wake?.();
  };

  constructor(public socket: Socket | TLSSocket) {
    this.listen();
  }

  private listen(): void {
    this.socket.on('data', this.onData);
    this.socket.on('end', this.onEnd);
    this.socket.on('close', this.onEnd);
    this.socket.on('error', this.onEnd);
  }

  /** Stops reading (before a TLS upgrade or when piping starts); returns what was read ahead. */
  release(): Buffer {
    this.socket.off('data', this.onData);
    this.socket.off('end', this.onEnd);
    this.socket.off('close', this.onEnd);
    this.socket.off('error', this.onEnd);
    const rest = this.buffer;
    this.buffer = Buffer.alloc(0);
    return rest;
  }

  replace(socket: Socket | TLSSocket): void {
    this.socket = socket;
    this.closed = false;
    this.listen();
  }

  private async bytes(count: number): Promise<Buffer> {
    while (this.buffer.length < count) {
      if (this.closed) throw new Error('connection closed');
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
      this.wake = undefined;
    }
    const out = this.buffer.subarray(0, count);
    this.buffer = this.buffer.subarray(count);
    return out;
  }

  /** An untyped message (startup phase): int32 length, then the rest. */
  async startup(): Promise<Buffer> {
    const length = (await this.bytes(4)).readInt32BE(0);
    if (length < 8 || length > 10_000) throw new Error('bad startup packet');
    return this.bytes(length - 4);
  }

  async next(): Promise<{ type: string; body: Buffer; raw: Buffer }> {
    const header = await this.bytes(5);
    const length = header.readInt32BE(1);
    if (length < 4 || length > 64 * 1024 * 1024) throw new Error('bad message length');
    const body = await this.bytes(length - 4);
    return { type: String.fromCharCode(header[0] as number), body, raw: Buffer.concat([header, body]) };
  }

  async single(): Promise<string> {
    return String.fromCharCode((await this.bytes(1))[0] as number);
  }

  write(data: Buffer): void {
    this.socket.write(data);
  }
}

function scramClient(password: string): {
  first: Buffer;
  final(serverFirst: string): Buffer;
  verify(serverFinal: string): boolean;
} {
  const nonce = randomBytes(18).toString('base64');
  const clientFirstBare = `n=,r=${nonce}`;
  let expectedServerSignature = '';
  const hmac = (key: Buffer, text: string) => createHmac('sha256', key).update(text).digest();
  return {
    first: Buffer.concat([
      cstring('SCRAM-SHA-256'),
      int32(Buffer.byteLength(`n,,${clientFirstBare}`)),
      Buffer.from(`n,,${clientFirstBare}`),
    ]),
    final(serverFirst) {
      const fields = Object.fromEntries(serverFirst.split(',').map((part) => [part[0], part.slice(2)]));
      const serverNonce = fields.r ?? '';
      if (!serverNonce.startsWith(nonce)) throw new Error('SCRAM: the server changed our nonce');
      const salted = pbkdf2Sync(
        password,
        Buffer.from(fields.s ?? '', 'base64'),
        Number(fields.i),
        32,
        'sha256',
      );
      const clientKey = hmac(salted, 'Client Key');
      const storedKey = createHash('sha256').update(clientKey).digest();
      const withoutProof = `c=biws,r=${serverNonce}`;
      const authMessage = `${clientFirstBare},${serverFirst},${withoutProof}`;
      const signature = hmac(storedKey, authMessage);
      const proof = Buffer.from(clientKey.map((byte, i) => byte ^ (signature[i] as number)));
      expectedServerSignature = hmac(hmac(salted, 'Server Key'), authMessage).toString('base64');
      return Buffer.from(`${withoutProof},p=${proof.toString('base64')}`);
    },
    verify(serverFinal) {
      return serverFinal === `v=${expectedServerSignature}`;
    },
  };
}

export interface StandInOptions {
  listen: { host: string; port: number };
  tls: { cert: string; key: string };
  /** What the upstream server certificate must chain to. */
  upstreamCa: string;
  secret: string;
  config: FirewallConfig;
  /** One line per refused or failed login, for the walk's log. */
  log: (line: string) => void;
  /** The clock tokens are judged by. */
  now?: () => number;
}

export class FirewallStandIn {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket | TLSSocket>();

  constructor(private readonly options: StandInOptions) {}

  async start(): Promise<void> {
    const context = createSecureContext({ cert: this.options.tls.cert, key: this.options.tls.key });
    const server = createServer((socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      this.session(socket, context).catch((error: unknown) => {
        this.options.log(`stand-in: ${(error as Error).message}`);
        socket.destroy();
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.options.listen.port, this.options.listen.host, resolve);
    });
    this.server = server;
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private async session(raw: Socket, context: ReturnType<typeof createSecureContext>): Promise<void> {
    const client = new Wire(raw);
    let body = await client.startup();
    let code = body.readInt32BE(0);
    if (code === CANCEL_REQUEST) return void raw.end();
    if (code === GSS_REQUEST) {
      client.write(Buffer.from('N'));
      body = await client.startup();
      code = body.readInt32BE(0);
    }
    if (code === SSL_REQUEST) {
      client.release();
      raw.write('S');
      const secure = new TLSSocket(raw, { isServer: true, secureContext: context, minVersion: 'TLSv1.2' });
      this.sockets.add(secure);
      client.replace(secure);
      body = await client.startup();
      code = body.readInt32BE(0);
    }
    if (code !== PROTOCOL_3) throw new Error(`unexpected startup code ${code}`);
    const params = parseStartup(body);
    const user = params.user ?? '';
    if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(user)) {
      // JumpWire answers other users with its magic-link login, which needs its web frontend.
      client.write(
        errorResponse(
          'FATAL',
          '28000',
          'the firewall stand-in takes client_auth logins only (user = a manifest id)',
        ),
      );
      return void client.socket.end();
    }
    client.write(message('R', int32(3)));
    const password = await client.next();
    if (password.type !== 'p') throw new Error('expected a password message');
    const token = password.body.subarray(0, password.body.indexOf(0)).toString('utf8');
    const decision = authorize(
      this.options.config,
      this.options.secret,
      user,
      token,
      (this.options.now ?? Date.now)(),
    );
    if (!decision.ok) {
      this.options.log(`stand-in: refused a login for ${user}: ${decision.reason}`);
      client.write(errorResponse('ERROR', '28P01', 'invalid password'));
      return void client.socket.end();
    }
    const upstream = await this.upstream(decision.manifest, params, client);
    if (upstream === undefined) return;
    const pending = client.release();
    const fromUpstream = upstream.release();
    if (pending.length > 0) upstream.write(pending);
    if (fromUpstream.length > 0) client.write(fromUpstream);
    const end = () => {
      client.socket.destroy();
      upstream.socket.destroy();
    };
    client.socket.on('error', end).on('close', end);
    upstream.socket.on('error', end).on('close', end);
    client.socket.pipe(upstream.socket).pipe(client.socket);
  }

  /** Logs in upstream as the manifest says; forwards its answer; undefined when the login failed. */
  private async upstream(
    manifest: Manifest,
    params: Record<string, string>,
    client: Wire,
  ): Promise<Wire | undefined> {
    const raw = tcpConnect(manifest.port, manifest.hostname);
    this.sockets.add(raw);
    await new Promise<void>((resolve, reject) => {
      raw.once('connect', resolve);
      raw.once('error', reject);
    });
    const server = new Wire(raw);
    if (manifest.ssl) {
      server.write(Buffer.concat([int32(8), int32(SSL_REQUEST)]));
      const answer = await server.single();
      if (answer !== 'S') {
        client.write(errorResponse('FATAL', '08006', 'SSL required but not supported by the server'));
        client.socket.end();
        raw.destroy();
        return undefined;
      }
      server.release();
      const secure = tlsConnect({
        socket: raw,
        servername: manifest.hostname,
        ca: this.options.upstreamCa,
        minVersion: 'TLSv1.2',
      });
      this.sockets.add(secure);
      try {
        await new Promise<void>((resolve, reject) => {
          secure.once('secureConnect', resolve);
          secure.once('error', reject);
        });
      } catch (error) {
        this.options.log(
          `stand-in: TLS to ${manifest.hostname}:${manifest.port} failed: ${(error as Error).message}`,
        );
        client.write(
          errorResponse(
            'FATAL',
            '08006',
            `the firewall could not reach its database: ${(error as Error).message}`,
          ),
        );
        client.socket.end();
        return undefined;
      }
      server.replace(secure);
    }
    server.write(startupMessage({ ...params, user: manifest.username, database: manifest.database }));
    let scram: ReturnType<typeof scramClient> | undefined;
    for (;;) {
      const reply = await server.next();
      if (reply.type === 'E') {
        this.options.log(`stand-in: the upstream login as ${manifest.username} failed`);
        client.write(reply.raw);
        client.socket.end();
        server.socket.destroy();
        return undefined;
      }
      if (reply.type !== 'R') throw new Error(`unexpected '${reply.type}' during the upstream login`);
      const kind = reply.body.readInt32BE(0);
      if (kind === 0) {
        client.write(reply.raw);
        return server;
      }
      if (kind === 5) {
        const salt = reply.body.subarray(4, 8);
        const inner = createHash('md5')
          .update(manifest.password + manifest.username)
          .digest('hex');
        const outer = createHash('md5')
          .update(Buffer.concat([Buffer.from(inner), salt]))
          .digest('hex');
        server.write(message('p', cstring(`md5${outer}`)));
      } else if (kind === 10) {
        scram = scramClient(manifest.password);
        server.write(message('p', scram.first));
      } else if (kind === 11 && scram) {
        server.write(message('p', scram.final(reply.body.subarray(4).toString('utf8'))));
      } else if (kind === 12 && scram) {
        if (!scram.verify(reply.body.subarray(4).toString('utf8')))
          throw new Error('SCRAM: wrong server signature');
      } else {
        throw new Error(`upstream asks for authentication ${kind}, which JumpWire does not answer`);
      }
    }
  }
}
