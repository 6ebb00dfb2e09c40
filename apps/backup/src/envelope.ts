// The encrypted backup file: header (authenticated, not secret), AES-256-GCM ciphertext, GCM tag.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { open, rm } from 'node:fs/promises';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';

export const MAGIC = Buffer.from('SWBK', 'ascii');
export const FORMAT_VERSION = 1;
export const KEY_BYTES = 32;
export const NONCE_BYTES = 12;
export const TAG_BYTES = 16;
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

export interface DecodedHeader {
  nonce: Buffer;
  manifest: BackupManifest;
  /** The header bytes, the GCM additional data. */
  raw: Buffer;
}

export function decodeHeader(bytes: Buffer): DecodedHeader {
  if (bytes.length < FIXED_HEADER_BYTES || !bytes.subarray(0, MAGIC.length).equals(MAGIC)) {
    throw new BackupIntegrityError('not a secure-workshop backup (bad magic)');
  }
  const version = bytes.readUInt8(MAGIC.length);
  if (version !== FORMAT_VERSION)
    throw new BackupIntegrityError(`unsupported backup format version ${version}`);
  const nonce = bytes.subarray(MAGIC.length + 1, MAGIC.length + 1 + NONCE_BYTES);
  const length = bytes.readUInt32BE(MAGIC.length + 1 + NONCE_BYTES);
  if (length > MAX_MANIFEST_BYTES || bytes.length < FIXED_HEADER_BYTES + length) {
    throw new BackupIntegrityError('backup header is truncated or corrupt');
  }
  const raw = bytes.subarray(0, FIXED_HEADER_BYTES + length);
  let manifest: BackupManifest;
  try {
    manifest = JSON.parse(raw.subarray(FIXED_HEADER_BYTES).toString('utf8')) as BackupManifest;
  } catch {
    throw new BackupIntegrityError('backup manifest is not JSON');
  }
  return { nonce: Buffer.from(nonce), manifest, raw: Buffer.from(raw) };
}

/** A stream that emits the header, the ciphertext of everything written to it, then the tag. */
export function createEncryptStream(key: Buffer, manifest: BackupManifest): Transform {
  assertKey(key);
  const nonce = randomBytes(NONCE_BYTES);
  const header = encodeHeader(nonce, manifest);
  const cipher = createCipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_BYTES });
  cipher.setAAD(header);
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
    if (size < header.raw.length + TAG_BYTES) throw new BackupIntegrityError('backup file is truncated');
    return { ...header, size };
  } finally {
    await handle.close();
  }
}

/**
 * Decrypts `file` into `target` and verifies the GCM tag; on any failure `target` is removed,
 * so nothing unauthenticated is ever handed to pg_restore.
 */
export async function decryptToFile(file: string, key: Buffer, target: string): Promise<BackupManifest> {
  assertKey(key);
  const header = await readHeader(file);
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
    ciphertextEnd >= header.raw.length
      ? createReadStream(file, { start: header.raw.length, end: ciphertextEnd })
      : Readable.from([]);
  try {
    await pipeline(source, decipher, createWriteStream(target, { mode: 0o600 }));
  } catch (error) {
    await rm(target, { force: true });
    const reason = error instanceof Error ? error.message : String(error);
    if (/authenticate/i.test(reason)) {
      throw new BackupIntegrityError('backup failed authentication: wrong key or tampered file');
    }
    throw error;
  }
  return header.manifest;
}
