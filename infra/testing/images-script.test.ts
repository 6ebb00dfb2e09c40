import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_IMAGES } from '../settings';
import { REPO_ROOT } from './mocks';

describe('scripts/images.sh', () => {
  it('builds and imports exactly the app images the stacks deploy', () => {
    const commands = execFileSync('bash', [path.join(REPO_ROOT, 'scripts/images.sh'), '--dry-run'], {
      encoding: 'utf8',
      env: { ...process.env, K3D_CLUSTER: 'workshop' },
    })
      .trim()
      .split('\n');
    const appImages = [DEFAULT_IMAGES.api, DEFAULT_IMAGES.reconciler, DEFAULT_IMAGES.backup];
    expect(commands).toEqual([
      ...['api', 'reconciler', 'backup'].map(
        (app, index) =>
          `docker build --file ${REPO_ROOT}/apps/${app}/Dockerfile --tag ${appImages[index]} ${REPO_ROOT}`,
      ),
      `k3d image import --cluster workshop ${appImages.join(' ')}`,
    ]);
  });
});
