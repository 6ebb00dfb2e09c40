import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BackupIntegrityError,
  MAGIC,
  TAG_BYTES,
  decryptToFile,
  encryptToFile,
  parseKey,
  readHeader,
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
    expect(header.size).toBe(header.raw.length + plain.length + TAG_BYTES);
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
