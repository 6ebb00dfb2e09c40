// The cluster target: the guide typed into a shell against a real cluster, as an attendee types it
// (kubectl and the Pulumi CLI on PATH, the stack deployed at the step being checked).
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { controlsAtStep } from '@secure-workshop/contracts';
import { PREAMBLE, bindingLine, clusterCommand, shellQuote } from './commands';
import { WalkError } from './objects';
import type { Target } from './runner';
import type { Experiment, StepScenario } from './scenario-types';
import { ShellSession } from './session';

const run = promisify(execFile);

/** The controls the stack reports (`pulumi stack output controls`), or why they cannot be read. */
export async function deployedControls(stack: string): Promise<string[] | string> {
  try {
    const { stdout } = await run('pulumi', ['stack', 'output', '--stack', stack, '--json'], {
      timeout: 120_000,
    });
    const outputs = JSON.parse(stdout) as { controls?: unknown };
    return Array.isArray(outputs.controls)
      ? outputs.controls.map(String)
      : 'the stack has no controls output';
  } catch (error) {
    const reason = (error as { stderr?: string }).stderr || (error as Error).message;
    return `pulumi stack output --stack ${stack}: ${reason.trim().split('\n')[0] ?? ''}`;
  }
}

export class ClusterTarget implements Target {
  readonly mode = 'cluster' as const;

  constructor(private readonly stack: string) {}

  async open(step: StepScenario): ReturnType<Target['open']> {
    // Experiments against another step's stack would only mislead: refuse them in one line.
    const controls = await deployedControls(this.stack);
    const expected = controlsAtStep(step.number);
    if (typeof controls === 'string') throw new WalkError(controls);
    if ([...controls].sort().join(',') !== [...expected].sort().join(','))
      throw new WalkError(
        `stack ${this.stack} is not at step ${step.number} (controls [${controls.join(', ')}]): pulumi config set --stack ${this.stack} step ${step.number} && pulumi up --stack ${this.stack}`,
      );
    const problems: { line: string; output: string }[] = [];
    const dir = mkdtempSync(path.join(tmpdir(), 'walk-cluster-'));
    // The folder holds ca.crt and a client key: it goes with the shell.
    const session = ShellSession.start(dir, { ...process.env } as Record<string, string>, {
      removeOnClose: true,
    });
    const preamble = PREAMBLE.replace(/^STACK=dev\b/, `STACK=${shellQuote(this.stack)}`);
    for (const line of [preamble, ...step.bindings.map(bindingLine)]) {
      const result = await session.run(line, 120_000);
      if (result.status !== 0) problems.push({ line: line.split('\n')[0] ?? line, output: result.output });
    }
    return { session, problems };
  }

  async command(experiment: Experiment): Promise<string> {
    return clusterCommand(experiment);
  }
}
