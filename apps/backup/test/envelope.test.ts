import { createCipheriv, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BackupIntegrityError,
  HEADER_MAC_BYTES,
  MAGIC,
  NONCE_BYTES,
  TAG_BYTES,
  decryptToFile,
  encodeHeader,
  encryptToFile,
  parseKey,
  readHeader,
  verifyManifest,
  type BackupManifest,
} from '../src/envelope.js';

const manifest: BackupManifest = {
  createdAt: '2026-01-01T00:00:00.000Z',
  database: 'bank',
  tables: { users: { rows: 2, checksum: 'ab' } },
};

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'envelope-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function encrypt(plain: Buffer, key: Buffer, name: string): Promise<string> {
  const file = join(dir, name);
  // Several chunks, so the cipher streams rather than sees one buffer.
  const chunks = [plain.subarray(0, 1000), plain.subarray(1000, 70_000), plain.subarray(70_000)];
  await encryptToFile(Readable.from(chunks), key, manifest, file);
  return file;
}

describe('encrypted backup envelope', () => {
  const key = randomBytes(32);
  const plain = randomBytes(100_000);

  it('round-trips the plaintext and the manifest', async () => {
    const file = await encrypt(plain, key, 'ok.swbk');
    const bytes = await readFile(file);
    expect(bytes.subarray(0, 4).equals(MAGIC)).toBe(true);
    expect(bytes.includes(plain.subarray(5000, 5032))).toBe(false);
    const header = await readHeader(file);
    expect(header.size).toBe(header.bodyOffset + plain.length + TAG_BYTES);
    expect(header.bodyOffset).toBe(header.raw.length + HEADER_MAC_BYTES);
    const target = join(dir, 'ok.out');
    expect(await decryptToFile(file, key, target)).toEqual(manifest);
    expect((await readFile(target)).equals(plain)).toBe(true);
  });

  it('handles an empty dump', async () => {
    const file = await encrypt(Buffer.alloc(0), key, 'empty.swbk');
    const target = join(dir, 'empty.out');
    await decryptToFile(file, key, target);
    expect((await readFile(target)).length).toBe(0);
  });

  it.each([
    [
      'ciphertext',
      (size: number, headerLength: number) => headerLength + Math.floor((size - headerLength) / 2),
    ],
    ['tag', (size: number) => size - 1],
    ['manifest in the header', (_size: number, headerLength: number) => headerLength - 3],
    ['header MAC', (_size: number, headerLength: number) => headerLength + 1],
  ])('refuses a file with one flipped byte in the %s and leaves no output', async (_part, position) => {
    const file = await encrypt(plain, key, `tampered-${_part}.swbk`);
    const bytes = await readFile(file);
    const header = await readHeader(file);
    const at = position(bytes.length, header.raw.length);
    bytes[at] = (bytes[at] ?? 0) ^ 0x01;
    await writeFile(file, bytes);
    const target = join(dir, `tampered-${_part}.out`);
    await expect(decryptToFile(file, key, target)).rejects.toBeInstanceOf(BackupIntegrityError);
    expect(existsSync(target)).toBe(false);
  });

  it('authenticates the manifest alone by its header MAC, and refuses a rewritten one', async () => {
    const file = await encrypt(plain, key, 'manifest.swbk');
    expect(await verifyManifest(file, key)).toEqual(manifest);
    await expect(verifyManifest(file, randomBytes(32))).rejects.toThrow(/header failed authentication/);
    const bytes = await readFile(file);
    const moved = Buffer.from(
      bytes.toString('latin1').replace('2026-01-01T00:00:00.000Z', '2099-01-01T00:00:00.000Z'),
      'latin1',
    );
    await writeFile(file, moved);
    await expect(verifyManifest(file, key)).rejects.toBeInstanceOf(BackupIntegrityError);
    await expect(decryptToFile(file, key, join(dir, 'manifest.out'))).rejects.toThrow(/header failed/);
    expect(existsSync(join(dir, 'manifest.out'))).toBe(false);
  });

  it('still reads a version 1 file (no header MAC): its manifest is authenticated by the GCM tag', async () => {
    // Written as the previous image did: header as additional data, no MAC.
    const nonce = randomBytes(NONCE_BYTES);
    const header = encodeHeader(nonce, manifest);
    header.writeUInt8(1, MAGIC.length);
    const cipher = createCipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_BYTES });
    cipher.setAAD(header);
    const body = Buffer.concat([cipher.update(plain), cipher.final()]);
    const file = join(dir, 'v1.swbk');
    await writeFile(file, Buffer.concat([header, body, cipher.getAuthTag()]));
    expect(await verifyManifest(file, key)).toEqual(manifest);
    const target = join(dir, 'v1.out');
    expect(await decryptToFile(file, key, target)).toEqual(manifest);
    expect((await readFile(target)).equals(plain)).toBe(true);
    const forged = Buffer.from(
      (await readFile(file)).toString('latin1').replace('2026-01-01', '2099-01-01'),
      'latin1',
    );
    await writeFile(file, forged);
    await expect(verifyManifest(file, key)).rejects.toThrow(/wrong key or tampered/);
  });

  it('refuses the wrong key', async () => {
    const file = await encrypt(plain, key, 'wrong-key.swbk');
    const target = join(dir, 'wrong-key.out');
    await expect(decryptToFile(file, randomBytes(32), target)).rejects.toThrow(/wrong key or tampered/);
    expect(existsSync(target)).toBe(false);
  });

  it('refuses a truncated file and a foreign file', async () => {
    const file = await encrypt(plain, key, 'short.swbk');
    const bytes = await readFile(file);
    await writeFile(file, bytes.subarray(0, 20));
    await expect(decryptToFile(file, key, join(dir, 'short.out'))).rejects.toBeInstanceOf(
      BackupIntegrityError,
    );
    const foreign = join(dir, 'foreign.swbk');
    await writeFile(foreign, 'PGDMP plain dump');
    await expect(decryptToFile(foreign, key, join(dir, 'foreign.out'))).rejects.toThrow(/bad magic/);
  });

  it('accepts only a base64 key of exactly 32 bytes', () => {
    const key64 = randomBytes(32).toString('base64');
    expect(parseKey(`${key64}\n`).length).toBe(32);
    expect(() => parseKey(randomBytes(16).toString('base64'))).toThrow(/32 bytes, got 16/);
    expect(() => parseKey('not base64!')).toThrow(/not base64/);
  });
});
