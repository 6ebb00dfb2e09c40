import { readFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { REPO_ROOT } from '../testing/stack-config';
import { resolveControls } from '@secure-workshop/contracts';
import { checkStack, formatCheck, loadPolicyRunner } from './check';
import { formatDiff, isDiffFormat } from './diff-format';
import { attributedDiff } from './diff-path';
import { drawArchitecture } from './draw';
import { isBadInput, UsageError } from './model';
import { privateDirectory, type SecretsMode, writeRender } from './render';
import { runMain } from './run-main';
import { readStateFile, writeStateFile } from './state-file';
import { synthesize, type SynthOptions } from './synth';

const USAGE = 'usage: cli.ts render|diff|check|draw <stack> ... (cli.ts help, docs/guide.md)';
const HELP = `Offline tools: the Pulumi program under the mock runtime, no cluster, no Pulumi CLI.
  render <stack> [--controls a,b] [--out dir] [--stack-name name] [--state file] [--secrets mask|reveal]
                                                   Kubernetes YAML, Helm releases, resources.json
      --stack-name name  run the program as stack <name> (pulumi.getStack(), namespace workshop-<name>,
                         URNs); config still comes from Pulumi.<stack>.yaml and --controls
      --state file       keep generated values (passwords, keys, certificates) across renders as Pulumi
                         state does: same URN and generator inputs, same value; the file (0600) holds
                         them in the clear and is created when missing
      --secrets reveal   write real generated values instead of [secret] and [generated ...] labels;
                         needs --out; the directory is made 0700 and every file 0600
  diff <from> <to> [--from-controls a,b] [--to-controls a,b] [--format text|markdown|json] [--out file]
                                                   every change under the control that made it: the
                                                   controls applied one at a time in the guide's order
  check <stack> [--controls a,b]                   policy pack; exit 1 on a mandatory violation
  draw <stack> [--controls a,b] [--out file.svg] [--check]   SVG + Mermaid architecture
<stack> is a Pulumi.<stack>.yaml; --controls replaces its control list ('none' for no control).
Bad input exits 2 with one line. Walkthrough: docs/guide.md`;

interface Command {
  positionals: number;
  flags: readonly string[];
  booleans?: readonly string[];
  run(args: string[], flags: Map<string, string>): Promise<number>;
}

export function parseArgs(
  argv: readonly string[],
  flags: readonly string[],
  booleans: readonly string[] = [],
): { args: string[]; flags: Map<string, string> } {
  const args: string[] = [];
  const values = new Map<string, string>();
  for (let i = 0; i < argv.length; i += 1) {
    const token = argv[i] as string;
    if (!token.startsWith('--')) {
      args.push(token);
      continue;
    }
    const [name, inline] = token.slice(2).split(/=(.*)/s) as [string, string | undefined];
    if (booleans.includes(name)) {
      values.set(name, 'true');
      continue;
    }
    if (!flags.includes(name)) {
      const known = [...flags, ...booleans].map((flag) => `--${flag}`).join(', ') || 'none';
      throw new UsageError(`unknown flag --${name} (flags: ${known})`);
    }
    const value = inline ?? argv[i + 1];
    if (value === undefined || (inline === undefined && value.startsWith('--')))
      throw new UsageError(`--${name} needs a value`);
    if (inline === undefined) i += 1;
    values.set(name, value);
  }
  return { args, flags: values };
}

/** `--controls a,b` (or `none` for no control), validated by the catalog: known ids, requirements met. */
export function parseControls(raw: string): string[] {
  const ids =
    raw === 'none'
      ? []
      : raw
          .split(',')
          .map((id) => id.trim())
          .filter(Boolean);
  return resolveControls(ids);
}

function options(stack: string, controlsFlag: string | undefined): SynthOptions {
  return controlsFlag === undefined ? { stack } : { stack, controls: parseControls(controlsFlag) };
}

function secretsMode(flags: Map<string, string>): SecretsMode {
  const mode = flags.get('secrets') ?? 'mask';
  if (mode !== 'mask' && mode !== 'reveal')
    throw new UsageError(`--secrets must be mask or reveal, not '${mode}'`);
  // Real secrets go only where the caller said, never to a default folder in the repository.
  if (mode === 'reveal' && !flags.has('out')) throw new UsageError('--secrets reveal needs --out <dir>');
  return mode;
}

function write(file: string, content: string): void {
  mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  writeFileSync(file, content);
}

const COMMANDS: Record<string, Command> = {
  render: {
    positionals: 1,
    flags: ['out', 'controls', 'stack-name', 'state', 'secrets'],
    async run([stack], flags) {
      const secrets = secretsMode(flags);
      const stateFile = flags.get('state');
      const stackName = flags.get('stack-name');
      const synthOptions: SynthOptions = {
        ...options(stack as string, flags.get('controls')),
        ...(stackName === undefined ? {} : { stackName }),
        ...(stateFile === undefined ? {} : { stateFile }),
      };
      const earlier = stateFile === undefined ? {} : readStateFile(stateFile);
      const out = flags.get('out');
      // Refused before the synthesis, not after: a directory others can read gets no secrets.
      if (secrets === 'reveal' && out !== undefined) privateDirectory(out);
      const result = await synthesize(synthOptions);
      const dir = out ?? path.join(REPO_ROOT, 'out', result.stack);
      const files = writeRender(result, dir, { secrets });
      if (stateFile !== undefined) writeStateFile(stateFile, earlier, result.generators);
      console.log(
        `${result.stack}: wrote ${files.length} files to ${dir} (${result.resources.length} resources)`,
      );
      if (secrets === 'reveal')
        console.error(`note: the files in ${dir} hold real secrets; keep them private`);
      return 0;
    },
  },
  diff: {
    positionals: 2,
    flags: ['format', 'from-controls', 'to-controls', 'controls', 'out'],
    async run([from, to], flags) {
      const format = flags.get('format') ?? 'text';
      if (!isDiffFormat(format))
        throw new UsageError(`--format must be text, markdown or json, not '${format}'`);
      const fromOptions = options(from as string, flags.get('from-controls'));
      const toOptions = options(to as string, flags.get('to-controls') ?? flags.get('controls'));
      const text = formatDiff(await attributedDiff(fromOptions, toOptions), format);
      const out = flags.get('out');
      if (out === undefined) process.stdout.write(text);
      else write(out, text);
      return 0;
    },
  },
  check: {
    positionals: 1,
    flags: ['controls'],
    async run([stack], flags) {
      const [result, runner] = await Promise.all([
        synthesize(options(stack as string, flags.get('controls'))),
        loadPolicyRunner(),
      ]);
      const report = await checkStack(result, runner);
      process.stdout.write(formatCheck(report));
      return report.mandatory > 0 ? 1 : 0;
    },
  },
  draw: {
    positionals: 1,
    flags: ['out', 'controls'],
    booleans: ['check'],
    async run([stack], flags) {
      const result = await synthesize(options(stack as string, flags.get('controls')));
      const svgFile = flags.get('out') ?? path.join(REPO_ROOT, 'out', result.stack, 'architecture.svg');
      if (!svgFile.endsWith('.svg')) throw new UsageError(`--out must name an .svg file, not '${svgFile}'`);
      const mmdFile = svgFile.replace(/\.svg$/, '.mmd');
      const { svg, mermaid } = drawArchitecture(result);
      if (flags.has('check')) {
        const stale = [
          [svgFile, svg],
          [mmdFile, mermaid],
        ].filter(
          ([file, content]) =>
            !existsSync(file as string) || readFileSync(file as string, 'utf8') !== content,
        );
        for (const [file] of stale)
          console.error(`stale: ${file} (run: npm run draw -- ${stack} --out ${svgFile})`);
        return stale.length > 0 ? 1 : 0;
      }
      write(svgFile, svg);
      write(mmdFile, mermaid);
      console.log(`${result.stack}: wrote ${svgFile} and ${mmdFile}`);
      return 0;
    },
  },
};

export async function main(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === 'help' || name === '--help') {
    console.log(HELP);
    return 0;
  }
  const command = name === undefined ? undefined : COMMANDS[name];
  if (command === undefined)
    throw new UsageError(name === undefined ? USAGE : `unknown command '${name}'; ${USAGE}`);
  const { args, flags } = parseArgs(rest, command.flags, command.booleans);
  if (args.length !== command.positionals) {
    const expected = command.positionals === 1 ? '<stack>' : '<from> <to>';
    throw new UsageError(
      `${name} takes ${expected}, got ${args.length} argument${args.length === 1 ? '' : 's'}`,
    );
  }
  return command.run(args, flags);
}

if (require.main === module) {
  runMain(() => main(process.argv.slice(2)), {
    prefix: 'error',
    exitCode: (error) => (isBadInput(error) ? 2 : 3),
    fromCallerDirectory: true,
  });
}
