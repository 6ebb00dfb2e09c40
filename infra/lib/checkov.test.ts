import { describe, expect, it } from 'vitest';
import { WAIVERS, checkovAnnotations } from './checkov';
import { IMAGE_PINS_FILE, hasDigest, pinnedImage, readImagePins } from './image-pins';

describe('Checkov waivers', () => {
  it('are written as Checkov parses them: checkov.io/skipN = <CHECK>=<reason without =>', () => {
    const annotations = checkovAnnotations([WAIVERS.pullPolicy, WAIVERS.postgresUid]);
    expect(Object.keys(annotations)).toEqual(['checkov.io/skip1', 'checkov.io/skip2']);
    for (const value of Object.values(annotations)) {
      const [check, reason, ...rest] = value.split('=');
      expect(check).toMatch(/^CKV_K8S_\d+$/);
      expect(reason?.length).toBeGreaterThan(30);
      expect(rest).toEqual([]);
    }
  });

  it('refuse a waiver without a reason or with a reason Checkov would cut', () => {
    expect(() => checkovAnnotations([{ check: 'CKV_K8S_43', reason: ' ' }])).toThrow(/needs a reason/);
    expect(() => checkovAnnotations([{ check: 'CKV_K8S_43', reason: 'a=b' }])).toThrow(/without "="/);
  });
});

describe('image pins', () => {
  it('pin postgres by tag and digest and jumpwire by tag, read from infra/images/Dockerfile', () => {
    const pins = readImagePins();
    expect(pins.postgres).toMatch(/^postgres:17\.\d+-alpine@sha256:[0-9a-f]{64}$/);
    expect(pins.jumpwire).toMatch(/^ghcr\.io\/extragoodlabs\/jumpwire:4\.0\.0(@sha256:[0-9a-f]{64})?$/);
    expect(hasDigest(pins.postgres!)).toBe(true);
    expect(IMAGE_PINS_FILE).toMatch(/infra\/images\/Dockerfile$/);
  });

  it('fail loudly for an image the file does not pin', () => {
    expect(() => pinnedImage('nginx', readImagePins('FROM postgres:17 AS postgres\n'))).toThrow(
      /pins no image named "nginx"/,
    );
    expect(readImagePins('FROM postgres:17@sha256:abc AS Postgres\n')).toEqual({
      postgres: 'postgres:17@sha256:abc',
    });
  });
});
