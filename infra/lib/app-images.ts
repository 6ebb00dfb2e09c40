// The workshop's own images get a tag derived from what goes into them, so a rebuilt image is a new
// tag and the next `pulumi up` rolls it out (a fixed tag would leave the old pods running).
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';

export const APP_NAMES = ['api', 'reconciler', 'backup'] as const;
export type AppName = (typeof APP_NAMES)[number];

/** The repository root: the Docker build context of every app image. */
export const BUILD_CONTEXT = path.resolve(__dirname, '..', '..');
/** The version part of the tag (the apps' package.json version); the content hash follows it. */
export const APP_VERSION = '0.1.0';

/**
 * What each image is built from: the Dockerfile and every path it COPYs from the build context
 * (not from an earlier stage). Read from the Dockerfile itself, so a new COPY changes the tag too.
 */
export function buildInputs(app: AppName, root: string = BUILD_CONTEXT): string[] {
  const dockerfile = `apps/${app}/Dockerfile`;
  const text = readFileSync(path.join(root, dockerfile), 'utf8');
  const sources = [...text.matchAll(/^COPY\s+((?:--\S+\s+)*)(.+)$/gm)]
    .filter((match) => !/--from=/.test(match[1] ?? ''))
    .flatMap((match) => (match[2] ?? '').trim().split(/\s+/).slice(0, -1))
    .map((source) => source.replace(/\/+$/, ''));
  return [...new Set([dockerfile, ...sources])].sort();
}

function filesUnder(root: string, relative: string): string[] {
  const full = path.join(root, relative);
  if (!existsSync(full)) return [];
  if (!statSync(full).isDirectory()) return [relative];
  return readdirSync(full)
    .sort()
    .flatMap((entry) => filesUnder(root, path.posix.join(relative, entry)));
}

/** sha256 over the build inputs' paths and bytes, first 12 hex digits. */
export function contentHash(app: AppName, root: string = BUILD_CONTEXT): string {
  const hash = createHash('sha256');
  for (const file of buildInputs(app, root).flatMap((input) => filesUnder(root, input))) {
    hash.update(`${file}\0`);
    hash.update(readFileSync(path.join(root, file)));
    hash.update('\0');
  }
  return hash.digest('hex').slice(0, 12);
}

/** `secure-workshop/<app>:<version>-<hash>`: what `npm run images` builds and the stacks deploy. */
export function appImage(app: AppName, root: string = BUILD_CONTEXT): string {
  return `secure-workshop/${app}:${APP_VERSION}-${contentHash(app, root)}`;
}

// `tsx infra/lib/app-images.ts`: one `<app> <image>` line per app, for scripts/images.sh.
if (require.main === module) {
  for (const app of APP_NAMES) process.stdout.write(`${app} ${appImage(app)}\n`);
}
