// The local target: the step's shell gets its variables and files from what the walk deployed (the
// same values `kubectl` and `pulumi stack output` give an attendee), and what the guide asks of kubectl
// the walk answers from the rendered objects and its own processes, through the same jq and pipes.
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { shellQuote } from './commands';
import type { LocalCluster } from './deploy';
import { type RenderedStep, WalkError, kindOf } from './objects';
import type { Target } from './runner';
import type { Experiment, StepScenario } from './scenario-types';
import { ShellSession } from './session';

export class LocalTarget implements Target {
  readonly mode = 'local' as const;
  private counter = 0;
  private dir = '';

  constructor(
    private readonly cluster: LocalCluster,
    private readonly step: () => RenderedStep,
    private readonly sessionRoot: string,
  ) {}

  async open(scenario: StepScenario): ReturnType<Target['open']> {
    this.dir = path.join(this.sessionRoot, `step-${scenario.number}-${Date.now()}`);
    mkdirSync(path.join(this.dir, '.walk'), { recursive: true, mode: 0o700 });
    const facts = this.cluster.facts();
    const lines: string[] = [`NS=${shellQuote(facts.namespace)}`];
    for (const binding of scenario.bindings) {
      if (binding.kind === 'var') lines.push(`${binding.name}=${shellQuote(binding.local(facts))}`);
      else if (binding.kind === 'file')
        writeFileSync(path.join(this.dir, binding.file), binding.local(facts), { mode: 0o600 });
      else if (binding.kind === 'shell') lines.push(binding.command);
    }
    const session = ShellSession.start(this.dir, {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: this.dir,
      LANG: 'C.UTF-8',
    });
    const problems: { line: string; output: string }[] = [];
    for (const line of lines) {
      const result = await session.run(line, 60_000);
      if (result.status !== 0) problems.push({ line: line.split('=')[0] ?? line, output: result.output });
    }
    return { session, problems };
  }

  async command(experiment: Experiment): Promise<string> {
    switch (experiment.kind) {
      case 'shell':
        return experiment.command;
      case 'get':
        return `< ${this.data(JSON.stringify(this.objects(experiment.what)))} jq -cr '${experiment.jq}'`;
      case 'logs':
        return `< ${this.data(this.cluster.logs(experiment.workload))} ${experiment.pipe}`;
      case 'job': {
        const run = await this.cluster.runCronJob(experiment.cronJob);
        return `< ${this.data(run.output)} ${experiment.pipe}`;
      }
    }
  }

  /** `kubectl get <kind> <name> -o json` (an object) or `kubectl get <kinds> -o json` (a List). */
  private objects(what: string): unknown {
    const [kinds, name] = what.split(/\s+/) as [string, string | undefined];
    const step = this.step();
    if (name !== undefined) return step.get(kindOf(kinds), name);
    const items = kinds.split(',').flatMap((alias) => {
      const kind = kindOf(alias);
      return step.all(kind).sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
    });
    if (items.length === 0) throw new WalkError(`this step has no ${kinds}`);
    return { apiVersion: 'v1', kind: 'List', items };
  }

  private data(content: string): string {
    this.counter += 1;
    const file = path.join('.walk', `${this.counter}.data`);
    writeFileSync(path.join(this.dir, file), content, { mode: 0o600 });
    return file;
  }
}
