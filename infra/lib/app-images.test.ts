// The app images' tags follow their content, and scripts/images.sh builds exactly what the stacks deploy.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_IMAGES } from '../settings';
import { APP_NAMES, BUILD_CONTEXT, appImage, buildInputs, contentHash } from './app-images';

const copies: string[] = [];
afterAll(() => copies.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

/** A copy of the build inputs of every app, to change a file without touching the repository. */
function copyInputs(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'app-images-'));
  copies.push(dir);
  for (const input of new Set(APP_NAMES.flatMap((app) => buildInputs(app)))) {
    cpSync(path.join(BUILD_CONTEXT, input), path.join(dir, input), { recursive: true });
  }
  return dir;
}

describe('app image tags', () => {
  it('are version plus content hash, and the stacks deploy them by default', () => {
    for (const app of APP_NAMES) {
      expect(appImage(app)).toMatch(new RegExp(`^secure-workshop/${app}:0\\.1\\.0-[0-9a-f]{12}$`));
      expect(DEFAULT_IMAGES[app]).toBe(appImage(app));
    }
  });

  it('change when a source file of the image changes, and only that image', () => {
    const dir = copyInputs();
    const before = Object.fromEntries(APP_NAMES.map((app) => [app, contentHash(app, dir)]));
    const file = path.join(dir, 'apps/reconciler/src/main.ts');
    writeFileSync(file, `${readFileSync(file, 'utf8')}\n// changed\n`);
    expect(contentHash('reconciler', dir)).not.toBe(before.reconciler);
    expect(contentHash('api', dir)).toBe(before.api);
    writeFileSync(path.join(dir, 'package-lock.json'), '{}');
    for (const app of APP_NAMES) expect(contentHash(app, dir)).not.toBe(before[app]);
  });

  it('follow exactly what each Dockerfile copies from the build context', () => {
    expect(buildInputs('api')).toEqual([
      'apps/api/Dockerfile',
      'apps/api/package.json',
      'apps/api/src',
      'apps/api/tsconfig.build.json',
      'package-lock.json',
      'package.json',
      'packages/contracts/package.json',
      'packages/contracts/src',
      'packages/contracts/tsconfig.build.json',
      'tsconfig.base.json',
    ]);
    for (const app of APP_NAMES) {
      expect(buildInputs(app)).toContain(`apps/${app}/src`);
      expect(buildInputs(app).some((input) => input.includes('/dist'))).toBe(false);
    }
  });
});

describe('scripts/images.sh', () => {
  it('builds and imports exactly the app images the stacks deploy', () => {
    const commands = execFileSync('bash', [path.join(BUILD_CONTEXT, 'scripts/images.sh'), '--dry-run'], {
      encoding: 'utf8',
      env: { ...process.env, K3D_CLUSTER: 'workshop' },
    })
      .trim()
      .split('\n');
    const images = APP_NAMES.map((app) => DEFAULT_IMAGES[app]);
    expect(commands).toEqual([
      ...APP_NAMES.map(
        (app, index) =>
          `docker build --file ${BUILD_CONTEXT}/apps/${app}/Dockerfile --tag ${images[index]} ${BUILD_CONTEXT}`,
      ),
      `k3d image import --cluster workshop ${images.join(' ')}`,
    ]);
  });
});
