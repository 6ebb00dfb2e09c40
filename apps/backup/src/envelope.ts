// The encrypted backup file: header (authenticated, not secret), header MAC, AES-256-GCM ciphertext, GCM tag.
// Version 2 adds the header MAC, so the manifest (which backup this is, and when it was made) can be
// trusted without decrypting the whole file; version 1 files (no MAC) are still read.
import {
  createCipheriv,
  createDecipheriv,
  createHmac,
  hkdfSync,
  randomBytes,
  timingSafeEqual,
} from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { open, rm } from 'node:fs/promises';
import { Readable, Transform, Writable, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';

export const MAGIC = Buffer.from('SWBK', 'ascii');
export const FORMAT_VERSION = 2;
const READABLE_VERSIONS = new Set([1, 2]);
export const KEY_BYTES = 32;
export const NONCE_BYTES = 12;
export const TAG_BYTES = 16;
export const HEADER_MAC_BYTES = 32;
const FIXED_HEADER_BYTES = MAGIC.length + 1 + NONCE_BYTES + 4;
const MAX_MANIFEST_BYTES = 64 * 1024;

/** What the backup claims about its content, checked again after a restore. */
export interface BackupManifest {
  createdAt: string;
  database: string;
  tables: Record<string, { rows: number; checksum: string }>;
}

export class BackupIntegrityError extends Error {
  override name = 'BackupIntegrityError';
}

export function assertKey(key: Buffer): void {
  if (key.length !== KEY_BYTES) throw new Error(`backup key must be ${KEY_BYTES} bytes, got ${key.length}`);
}

/** Decodes the base64 key file content (the program generates it) into exactly 32 bytes. */
export function parseKey(text: string): Buffer {
  const trimmed = text.trim();
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(trimmed)) throw new Error('backup key file is not base64');
  const key = Buffer.from(trimmed, 'base64');
  assertKey(key);
  return key;
}

export function encodeHeader(nonce: Buffer, manifest: BackupManifest): Buffer {
  const body = Buffer.from(JSON.stringify(manifest), 'utf8');
  if (body.length > MAX_MANIFEST_BYTES) throw new Error('backup manifest too large');
  const fixed = Buffer.alloc(FIXED_HEADER_BYTES);
  MAGIC.copy(fixed, 0);
  fixed.writeUInt8(FORMAT_VERSION, MAGIC.length);
  nonce.copy(fixed, MAGIC.length + 1);
  fixed.writeUInt32BE(body.length, MAGIC.length + 1 + NONCE_BYTES);
  return Buffer.concat([fixed, body]);
}

/** HMAC-SHA256 of the header under a key derived from the backup key (never the GCM key itself). */
export function headerMac(key: Buffer, header: Buffer): Buffer {
  assertKey(key);
  const macKey = Buffer.from(
    hkdfSync('sha256', key, Buffer.alloc(0), 'secure-workshop backup header mac', 32),
  );
  return createHmac('sha256', macKey).update(header).digest();
}

export interface DecodedHeader {
  version: number;
  nonce: Buffer;
  /** Not yet authenticated: use verifyManifest (or decryptToFile) before trusting it. */
  manifest: BackupManifest;
  /** The header bytes, the GCM additional data and what the header MAC covers. */
  raw: Buffer;
  /** Version 2 only. */
  mac: Buffer | undefined;
  /** Where the ciphertext starts. */
  bodyOffset: number;
}

export function decodeHeader(bytes: Buffer): DecodedHeader {
  if (bytes.length < FIXED_HEADER_BYTES || !bytes.subarray(0, MAGIC.length).equals(MAGIC)) {
    throw new BackupIntegrityError('not a secure-workshop backup (bad magic)');
  }
  const version = bytes.readUInt8(MAGIC.length);
  if (!READABLE_VERSIONS.has(version))
    throw new BackupIntegrityError(`unsupported backup format version ${version}`);
  const nonce = bytes.subarray(MAGIC.length + 1, MAGIC.length + 1 + NONCE_BYTES);
  const length = bytes.readUInt32BE(MAGIC.length + 1 + NONCE_BYTES);
  const macBytes = version >= 2 ? HEADER_MAC_BYTES : 0;
  if (length > MAX_MANIFEST_BYTES || bytes.length < FIXED_HEADER_BYTES + length + macBytes) {
    throw new BackupIntegrityError('backup header is truncated or corrupt');
  }
  const raw = bytes.subarray(0, FIXED_HEADER_BYTES + length);
  let manifest: BackupManifest;
  try {
    manifest = JSON.parse(raw.subarray(FIXED_HEADER_BYTES).toString('utf8')) as BackupManifest;
  } catch {
    throw new BackupIntegrityError('backup manifest is not JSON');
  }
  const mac = macBytes > 0 ? Buffer.from(bytes.subarray(raw.length, raw.length + macBytes)) : undefined;
  return {
    version,
    nonce: Buffer.from(nonce),
    manifest,
    raw: Buffer.from(raw),
    mac,
    bodyOffset: raw.length + macBytes,
  };
}

/** A stream that emits the header and its MAC, the ciphertext of everything written to it, then the tag. */
export function createEncryptStream(key: Buffer, manifest: BackupManifest): Transform {
  assertKey(key);
  const nonce = randomBytes(NONCE_BYTES);
  const raw = encodeHeader(nonce, manifest);
  const header = Buffer.concat([raw, headerMac(key, raw)]);
  const cipher = createCipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_BYTES });
  cipher.setAAD(raw);
  let headerSent = false;
  const sendHeader = (stream: Transform): void => {
    if (!headerSent) stream.push(header);
    headerSent = true;
  };
  return new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      sendHeader(this);
      callback(null, cipher.update(chunk));
    },
    flush(callback: TransformCallback) {
      sendHeader(this);
      this.push(cipher.final());
      callback(null, cipher.getAuthTag());
    },
  });
}

/** Encrypts a whole stream into `file`; the caller renames it into place once complete. */
export async function encryptToFile(source: Readable, key: Buffer, manifest: BackupManifest, file: string) {
  await pipeline(source, createEncryptStream(key, manifest), createWriteStream(file, { mode: 0o600 }));
}

/** Reads the header alone (no key needed): which backup is this, what does it claim. */
export async function readHeader(file: string): Promise<DecodedHeader & { size: number }> {
  const handle = await open(file, 'r');
  try {
    const { size } = await handle.stat();
    const probe = Buffer.alloc(Math.min(size, FIXED_HEADER_BYTES + MAX_MANIFEST_BYTES));
    await handle.read(probe, 0, probe.length, 0);
    const header = decodeHeader(probe);
    if (size < header.bodyOffset + TAG_BYTES) throw new BackupIntegrityError('backup file is truncated');
    return { ...header, size };
  } finally {
    await handle.close();
  }
}

const REFUSED = 'wrong key or tampered file';

function checkManifest(manifest: BackupManifest): BackupManifest {
  const createdAt = typeof manifest?.createdAt === 'string' ? Date.parse(manifest.createdAt) : Number.NaN;
  if (Number.isNaN(createdAt) || typeof manifest.tables !== 'object' || manifest.tables === null) {
    throw new BackupIntegrityError('backup manifest lacks createdAt or tables');
  }
  return manifest;
}

function checkHeaderMac(header: DecodedHeader, key: Buffer): void {
  if (header.mac !== undefined && !timingSafeEqual(header.mac, headerMac(key, header.raw))) {
    throw new BackupIntegrityError(`backup header failed authentication: ${REFUSED}`);
  }
}

const discard = (): Writable => new Writable({ write: (_chunk, _encoding, done) => done() });

/**
 * The manifest, once it is proven to come from the holder of `key`: by the header MAC (version 2),
 * or by decrypting the whole file for its GCM tag (version 1, which has no header MAC).
 */
export async function verifyManifest(file: string, key: Buffer): Promise<BackupManifest> {
  const header = await readHeader(file);
  if (header.mac === undefined) return decrypt(file, key, header, discard());
  checkHeaderMac(header, key);
  return checkManifest(header.manifest);
}

/**
 * Decrypts `file` into `target` and verifies the GCM tag; on any failure `target` is removed,
 * so nothing unauthenticated is ever handed to pg_restore.
 */
export async function decryptToFile(file: string, key: Buffer, target: string): Promise<BackupManifest> {
  const header = await readHeader(file);
  // A forged version 2 header fails here, before a byte is decrypted.
  checkHeaderMac(header, key);
  return decrypt(file, key, header, createWriteStream(target, { mode: 0o600 }), target);
}

async function decrypt(
  file: string,
  key: Buffer,
  header: DecodedHeader & { size: number },
  sink: Writable,
  target?: string,
): Promise<BackupManifest> {
  assertKey(key);
  const tag = Buffer.alloc(TAG_BYTES);
  const handle = await open(file, 'r');
  try {
    await handle.read(tag, 0, TAG_BYTES, header.size - TAG_BYTES);
  } finally {
    await handle.close();
  }
  const decipher = createDecipheriv('aes-256-gcm', key, header.nonce, { authTagLength: TAG_BYTES });
  decipher.setAAD(header.raw);
  decipher.setAuthTag(tag);
  const ciphertextEnd = header.size - TAG_BYTES - 1;
  const source =
    ciphertextEnd >= header.bodyOffset
      ? createReadStream(file, { start: header.bodyOffset, end: ciphertextEnd })
      : Readable.from([]);
  try {
    await pipeline(source, decipher, sink);
  } catch (error) {
    if (target !== undefined) await rm(target, { force: true });
    const reason = error instanceof Error ? error.message : String(error);
    if (/authenticate/i.test(reason)) {
      throw new BackupIntegrityError(`backup failed authentication: ${REFUSED}`);
    }
    throw error;
  }
  return checkManifest(header.manifest);
}
