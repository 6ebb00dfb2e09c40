// The third-party images the stacks deploy, as infra/images/Dockerfile pins them (Dependabot keeps
// that file current; the program reads it, so there is one place to bump).
import { readFileSync } from 'node:fs';
import * as path from 'node:path';

export const IMAGE_PINS_FILE = path.resolve(__dirname, '..', 'images', 'Dockerfile');

/** `FROM <image> AS <name>` lines, by name. */
export function readImagePins(text: string = readFileSync(IMAGE_PINS_FILE, 'utf8')): Record<string, string> {
  const pins: Record<string, string> = {};
  for (const match of text.matchAll(/^FROM\s+(\S+)\s+AS\s+(\S+)\s*$/gim)) {
    pins[(match[2] as string).toLowerCase()] = match[1] as string;
  }
  return pins;
}

/** The pinned reference of one image; a missing pin is a broken checkout, not a default. */
export function pinnedImage(name: string, pins: Record<string, string> = readImagePins()): string {
  const image = pins[name];
  if (image === undefined) throw new Error(`${IMAGE_PINS_FILE} pins no image named "${name}"`);
  return image;
}

/** Whether a reference carries a sha256 digest. */
export function hasDigest(image: string): boolean {
  return /@sha256:[0-9a-f]{64}$/.test(image);
}
