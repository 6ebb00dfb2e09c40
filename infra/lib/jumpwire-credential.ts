// Signs JumpWire proxy client credentials the way Plug.Crypto.sign(secret, "manifest", data, max_age) does.
import { createHmac, pbkdf2Sync } from 'node:crypto';

export interface JumpWireClientTokenArgs {
  /** JumpWire's signing secret: its root token (JUMPWIRE_ROOT_TOKEN). */
  secret: string;
  /** The `client_auth` id from JumpWire's configuration. */
  clientId: string;
  /** Signing time in milliseconds since the epoch, kept fixed so the token is stable. */
  signedAtMs: number;
  /** Validity counted from signedAtMs, in seconds. */
  maxAgeSeconds: number;
}

const ORG_ID = 'org_generic';
const SALT = 'manifest';
/** base64url("HS256"): the protected header Plug.Crypto.MessageVerifier prefixes. */
const PROTECTED_HEADER = 'SFMyNTY';

const VERSION_MAGIC = 131;
const SMALL_INTEGER_EXT = 97;
const INTEGER_EXT = 98;
const SMALL_TUPLE_EXT = 104;
const BINARY_EXT = 109;
const SMALL_BIG_EXT = 110;

function encodeBinary(text: string): Buffer {
  const bytes = Buffer.from(text, 'utf8');
  const header = Buffer.alloc(5);
  header.writeUInt8(BINARY_EXT, 0);
  header.writeUInt32BE(bytes.length, 1);
  return Buffer.concat([header, bytes]);
}

function encodeInteger(value: number): Buffer {
  if (!Number.isSafeInteger(value)) throw new Error(`cannot encode ${value}: not a safe integer`);
  if (value >= 0 && value <= 255) return Buffer.from([SMALL_INTEGER_EXT, value]);
  if (value >= -(2 ** 31) && value <= 2 ** 31 - 1) {
    const buffer = Buffer.alloc(5);
    buffer.writeUInt8(INTEGER_EXT, 0);
    buffer.writeInt32BE(value, 1);
    return buffer;
  }
  // Little-endian magnitude digits, as erlang:term_to_binary writes bignums.
  let magnitude = BigInt(Math.abs(value));
  const digits: number[] = [];
  while (magnitude > 0n) {
    digits.push(Number(magnitude & 0xffn));
    magnitude >>= 8n;
  }
  return Buffer.from([SMALL_BIG_EXT, digits.length, value < 0 ? 1 : 0, ...digits]);
}

function encodeTuple(elements: Buffer[]): Buffer {
  return Buffer.concat([Buffer.from([SMALL_TUPLE_EXT, elements.length]), ...elements]);
}

/** Erlang term_to_binary of `{{"org_generic", clientId}, signedAtMs, maxAgeSeconds}`. */
export function encodeJumpWireClaims(clientId: string, signedAtMs: number, maxAgeSeconds: number): Buffer {
  const term = encodeTuple([
    encodeTuple([encodeBinary(ORG_ID), encodeBinary(clientId)]),
    encodeInteger(signedAtMs),
    encodeInteger(maxAgeSeconds),
  ]);
  return Buffer.concat([Buffer.from([VERSION_MAGIC]), term]);
}

/** The token JumpWire accepts as the PostgreSQL password of a static `client_auth` client. */
export function signJumpWireClientToken(args: JumpWireClientTokenArgs): string {
  if (args.secret === '') throw new Error('the JumpWire signing secret must not be empty');
  if (args.maxAgeSeconds <= 0) throw new Error('maxAgeSeconds must be positive');
  const payload = encodeJumpWireClaims(args.clientId, args.signedAtMs, args.maxAgeSeconds).toString(
    'base64url',
  );
  const signingInput = `${PROTECTED_HEADER}.${payload}`;
  const key = pbkdf2Sync(args.secret, SALT, 1000, 32, 'sha256');
  const mac = createHmac('sha256', key).update(signingInput).digest('base64url');
  return `${signingInput}.${mac}`;
}
