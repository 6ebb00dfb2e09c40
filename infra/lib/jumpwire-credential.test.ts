import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { encodeJumpWireClaims, signJumpWireClientToken } from './jumpwire-credential';

interface Vector {
  secret: string;
  clientId: string;
  signedAtMs: number;
  maxAgeSeconds: number;
  token: string;
}

const repoRoot = path.resolve(__dirname, '../..');
const vectors = JSON.parse(
  readFileSync(path.resolve(repoRoot, '../shared/jumpwire-vectors.json'), 'utf8'),
) as {
  vectors: Vector[];
  payloadOnly: Omit<Vector, 'secret'>[];
};

describe('signJumpWireClientToken', () => {
  it('has known answers to check', () => {
    expect(vectors.vectors.length).toBeGreaterThanOrEqual(4);
  });

  it.each(vectors.vectors)('matches plug_crypto for client $clientId', (vector) => {
    expect(signJumpWireClientToken(vector)).toBe(vector.token);
  });

  it.each(vectors.payloadOnly)('encodes the workshop payload for $clientId', (vector) => {
    const payload = encodeJumpWireClaims(vector.clientId, vector.signedAtMs, vector.maxAgeSeconds);
    expect(payload.toString('base64url')).toBe(vector.token.split('.')[1]);
  });

  it('changes the MAC when the secret changes', () => {
    const vector = vectors.vectors[0]!;
    const forged = signJumpWireClientToken({ ...vector, secret: `${vector.secret}x` });
    expect(forged.split('.').slice(0, 2)).toEqual(vector.token.split('.').slice(0, 2));
    expect(forged).not.toBe(vector.token);
  });

  it('encodes small, 32-bit and big integers with the Erlang tags', () => {
    expect([...encodeJumpWireClaims('c', 7, 200).subarray(-4)]).toEqual([97, 7, 97, 200]);
    expect([...encodeJumpWireClaims('c', 7, 256).subarray(-5)]).toEqual([98, 0, 0, 1, 0]);
    expect([...encodeJumpWireClaims('c', 2 ** 32, 7).subarray(-10)]).toEqual([
      110, 5, 0, 0, 0, 0, 0, 1, 97, 7,
    ]);
  });

  it('refuses an empty secret', () => {
    expect(() =>
      signJumpWireClientToken({ secret: '', clientId: 'c', signedAtMs: 1, maxAgeSeconds: 1 }),
    ).toThrow(/secret must not be empty/);
  });
});
