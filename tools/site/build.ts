// Writes the site: the pages of pages.ts and the two assets beside them, into one flat folder that
// a browser opens from file:// or GitHub Pages serves as it is.
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { SynthesisPool } from '../../infra/tools/diff-path';
import { collectSite, type SiteModel } from './model';
import { indexPage, overviewPage, stepPage } from './pages';

const ASSETS = path.join(__dirname, 'assets');

/** No page may weigh more than this with the files it loads (its own HTML, CSS and script). */
export const MAX_PAGE_BYTES = 1_000_000;

/** Every file of the site by name. */
export function siteFiles(model: SiteModel): Map<string, string> {
  const files = new Map<string, string>();
  files.set('index.html', indexPage(model));
  model.pages.forEach((page, index) => files.set(page.file, stepPage(model, index)));
  files.set('overview.html', overviewPage(model));
  for (const asset of readdirSync(ASSETS).sort())
    files.set(asset, readFileSync(path.join(ASSETS, asset), 'utf8'));
  return files;
}

/** A page's weight: its bytes plus those of the stylesheet and scripts it links. */
export function pageWeights(files: ReadonlyMap<string, string>): Map<string, number> {
  const weights = new Map<string, number>();
  for (const [file, content] of files) {
    if (!file.endsWith('.html')) continue;
    const linked = [...content.matchAll(/(?:href|src)="([^"#:]+\.(?:css|js))"/g)].map(
      (match) => match[1] as string,
    );
    const total = [content, ...linked.map((asset) => files.get(asset) ?? '')].reduce(
      (sum, text) => sum + Buffer.byteLength(text),
      0,
    );
    weights.set(file, total);
  }
  return weights;
}

export interface BuildOptions {
  out: string;
  pool?: SynthesisPool;
  progress?: (done: number, total: number) => void;
}

export interface BuildReport {
  out: string;
  weights: Map<string, number>;
  warnings: string[];
}

export async function buildSite(options: BuildOptions): Promise<BuildReport> {
  const model = await collectSite({
    ...(options.pool === undefined ? {} : { pool: options.pool }),
    ...(options.progress === undefined ? {} : { progress: options.progress }),
  });
  const files = siteFiles(model);
  const weights = pageWeights(files);
  const heavy = [...weights].filter(([, bytes]) => bytes > MAX_PAGE_BYTES);
  if (heavy.length > 0)
    throw new Error(
      `pages over ${MAX_PAGE_BYTES} bytes: ${heavy.map(([file, bytes]) => `${file} ${bytes}`).join(', ')}`,
    );
  mkdirSync(options.out, { recursive: true });
  // Only what an earlier build wrote goes: the folder may hold other things.
  for (const file of readdirSync(options.out))
    if (/\.(html|css|js)$/.test(file)) rmSync(path.join(options.out, file));
  for (const [file, content] of files) writeFileSync(path.join(options.out, file), content);
  return { out: options.out, weights, warnings: model.warnings };
}
