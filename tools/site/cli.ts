// npm run site -- [--out DIR]: the workshop as a static site (default out/site, entry index.html).
import * as path from 'node:path';
import { REPO_ROOT } from '../../infra/testing/stack-config';
import { parseArgs } from '../../infra/tools/cli';
import { isBadInput } from '../../infra/tools/model';
import { runMain } from '../../infra/tools/run-main';
import { buildSite } from './build';

export async function main(argv: readonly string[]): Promise<number> {
  const { args, flags } = parseArgs(argv, ['out']);
  if (args.length > 0) {
    console.error(
      `error: site takes no arguments, got '${args.join(' ')}' (usage: npm run site -- [--out DIR])`,
    );
    return 2;
  }
  const out = path.resolve(flags.get('out') ?? path.join(REPO_ROOT, 'out', 'site'));
  const started = Date.now();
  // A counter that rewrites itself on a terminal; a log (CI) gets no line per synthesis.
  const tty = process.stderr.isTTY === true;
  const report = await buildSite({
    out,
    ...(tty
      ? { progress: (done, total) => process.stderr.write(`\rsynthesized ${done}/${total} control sets`) }
      : {}),
  });
  if (tty) process.stderr.write('\n');
  for (const warning of report.warnings) console.error(`warning: ${warning}`);
  const largest = Math.max(...report.weights.values());
  console.log(
    `site: ${report.weights.size} pages in ${path.relative(process.cwd(), out) || '.'} (open ${path.join(out, 'index.html')}); largest ${Math.round(largest / 1024)} KiB; ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
  return 0;
}

if (require.main === module) {
  runMain(() => main(process.argv.slice(2)), {
    prefix: 'error',
    exitCode: (error) => (isBadInput(error) ? 2 : 3),
    fromCallerDirectory: true,
  });
}
