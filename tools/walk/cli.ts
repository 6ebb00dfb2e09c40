// `npm run walk`: the guide's steps against the real services, locally (as root, in a network
// namespace of its own) or with --cluster against a deployed stack; `--write-guide` regenerates
// docs/guide.md's command blocks from the same scenarios.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { runMain } from '../../infra/tools/run-main';
import { postgresBinDir } from '../../test-support/postgres';
import { renderGuide } from './guide';
import { createNamespace, deleteNamespace } from './network';
import { WalkError } from './objects';
import { Reporter } from './report';
import type { StepScenario } from './scenario-types';
import { scenarios } from './scenarios';
import { walkCluster, walkLocally } from './walk';

export const REPO_ROOT = path.resolve(__dirname, '..', '..');
export const GUIDE_FILE = path.join(REPO_ROOT, 'docs', 'guide.md');

const USAGE = `usage: npm run walk -- [--steps start,step1,...] [--cluster [--stack dev]] [--keep] | --write-guide
  (no flag)      every step locally: render, deploy as processes, run the experiments (root, Linux)
  --steps a,b    only these steps (stack names start, step1 ... end, or numbers 0-6)
  --cluster      the same experiments against a deployed stack (kubectl, pulumi on PATH)
  --stack name   the stack --cluster checks (default dev)
  --keep         keep the walk's private directory (real secrets: remove it yourself)
  --write-guide  rewrite the generated blocks of docs/guide.md`;

export interface WalkArgs {
  mode: 'local' | 'cluster' | 'write-guide' | 'help';
  steps: StepScenario[];
  stack: string;
  keep: boolean;
}

/** The command line, checked: one readable sentence for anything wrong. */
export function parseWalkArgs(argv: readonly string[]): WalkArgs {
  const all = scenarios();
  const args: WalkArgs = { mode: 'local', steps: all, stack: 'dev', keep: false };
  for (let i = 0; i < argv.length; i += 1) {
    const [flag, inline] = (argv[i] as string).split(/=(.*)/s) as [string, string | undefined];
    const value = () => {
      const next = inline ?? argv[++i];
      if (next === undefined || next.startsWith('--')) throw new WalkError(`${flag} needs a value`);
      return next;
    };
    switch (flag) {
      case '--steps': {
        const wanted = value()
          .split(',')
          .map((entry) => entry.trim())
          .filter(Boolean);
        const chosen = wanted.map((entry) => {
          const step = all.find((scenario) => scenario.stack === entry || String(scenario.number) === entry);
          if (step === undefined)
            throw new WalkError(
              `unknown step '${entry}' (steps: ${all.map((scenario) => scenario.stack).join(', ')}, or 0-${all.length - 1})`,
            );
          return step;
        });
        args.steps = all.filter((step) => chosen.includes(step));
        break;
      }
      case '--cluster':
        args.mode = 'cluster';
        break;
      case '--stack':
        args.stack = value();
        if (!/^[A-Za-z0-9_.-]+$/.test(args.stack)) throw new WalkError(`invalid stack name '${args.stack}'`);
        break;
      case '--keep':
        args.keep = true;
        break;
      case '--write-guide':
        args.mode = 'write-guide';
        break;
      case '--help':
      case '-h':
        args.mode = 'help';
        break;
      default:
        throw new WalkError(`unknown argument '${flag}'; ${USAGE.split('\n')[0] ?? ''}`);
    }
  }
  return args;
}

function need(tool: string, why: string): void {
  try {
    execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
  } catch {
    throw new WalkError(`${tool} is not installed (${why})`);
  }
}

/** What the local walk needs from the machine, each missing piece as one line. */
function checkMachine(): string {
  if (process.platform !== 'linux' || process.getuid?.() !== 0)
    throw new WalkError(
      "the local walk runs as root on Linux (a network namespace, processes as the pods' users); CI runs it so, or use --cluster",
    );
  let binDir: string;
  try {
    binDir = postgresBinDir();
  } catch (error) {
    throw new WalkError(`${(error as Error).message} (apt-get install postgresql)`);
  }
  for (const binary of ['initdb', 'pg_ctl', 'postgres', 'pg_isready'])
    if (!existsSync(path.join(binDir, binary)))
      throw new WalkError(
        `no PostgreSQL server binaries in ${binDir} (${binary} is missing): apt-get install postgresql, or set PG_BINDIR`,
      );
  need('ip', 'iproute2: the network namespace');
  need('setpriv', "util-linux: processes as the pods' users");
  need('curl', "the guide's HTTP requests");
  need('psql', "the guide's database logins");
  need('jq', "the guide's JSON");
  return binDir;
}

/** Outside: make the namespace, run the walk inside it, always remove it. */
async function outside(argv: readonly string[]): Promise<number> {
  checkMachine();
  const name = `walk-${process.pid}`;
  createNamespace(name);
  try {
    const child = spawn(
      'ip',
      ['netns', 'exec', name, process.execPath, '--import', 'tsx', __filename, ...argv],
      { stdio: 'inherit', env: { ...process.env, SECURE_WORKSHOP_WALK_NETNS: name } },
    );
    const forward = (signal: NodeJS.Signals) => child.kill(signal);
    process.on('SIGINT', forward).on('SIGTERM', forward);
    return await new Promise<number>((resolve) => child.on('close', (code) => resolve(code ?? 1)));
  } finally {
    deleteNamespace(name);
  }
}

async function inside(args: WalkArgs): Promise<number> {
  const binDir = checkMachine();
  const reporter = new Reporter();
  const started = Date.now();
  reporter.line(
    'walk: the JumpWire firewall is a STAND-IN here (tools/walk/firewall-stand-in.ts): it checks logins and pipes bytes; encryption and dropped fields are cluster only',
  );
  await walkLocally({
    steps: args.steps,
    repoRoot: REPO_ROOT,
    binDir,
    hostsFile: '/etc/hosts',
    keep: args.keep,
    reporter,
    // Interrupted: the servers and apps it started stop, its private files go.
    onCleanup: (cleanUp) => {
      const stop = () => void cleanUp().finally(() => process.exit(130));
      process.once('SIGINT', stop).once('SIGTERM', stop);
    },
  });
  return finish(reporter, started);
}

function finish(reporter: Reporter, started: number): number {
  const total = reporter.totals();
  const seconds = Math.round((Date.now() - started) / 1000);
  reporter.line(
    `walk: ${total.passed} passed, ${total.failed} failed, ${total.skipped} skipped in ${seconds} s`,
  );
  return total.failed > 0 ? 1 : 0;
}

export async function main(argv: readonly string[]): Promise<number> {
  const args = parseWalkArgs(argv);
  switch (args.mode) {
    case 'help':
      console.log(USAGE);
      return 0;
    case 'write-guide': {
      const current = readFileSync(GUIDE_FILE, 'utf8');
      const updated = await renderGuide(current, GUIDE_FILE);
      if (updated !== current) writeFileSync(GUIDE_FILE, updated);
      console.log(
        `walk: ${path.relative(process.cwd(), GUIDE_FILE)} ${updated === current ? 'is up to date' : 'updated'}`,
      );
      return 0;
    }
    case 'cluster': {
      const reporter = new Reporter();
      const started = Date.now();
      await walkCluster(args.steps, args.stack, reporter);
      return finish(reporter, started);
    }
    case 'local':
      return process.env.SECURE_WORKSHOP_WALK_NETNS === undefined ? outside(argv) : inside(args);
  }
}

if (require.main === module) {
  runMain(() => main(process.argv.slice(2)), {
    prefix: 'walk',
    exitCode: (error) => (error instanceof WalkError ? 2 : 3),
  });
}
