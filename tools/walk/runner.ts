// A step's experiments in one shell, in the guide's order, against a target: the local processes
// (local.ts) or a cluster (cluster.ts). The commands are the scenarios' own; only the setup differs.
import type { Reporter } from './report';
import { type Experiment, type StepScenario, checkOutcome, isExperiment } from './scenario-types';
import type { ShellSession } from './session';

export interface Target {
  readonly mode: 'local' | 'cluster';
  /** A shell for the step with its bindings in place (variables, files, port-forwards), and what failed. */
  open(step: StepScenario): Promise<{ session: ShellSession; problems: { line: string; output: string }[] }>;
  /** The shell this target runs for the experiment (locally, kubectl's part is the walk's). */
  command(experiment: Experiment, session: ShellSession): Promise<string>;
}

const DEFAULT_TIMEOUT_SECONDS = 60;

export function stepLabel(step: StepScenario, suffix = ''): string {
  return `step ${step.number}${suffix}`;
}

/** Runs every item of the step; results go to the reporter. */
export async function runStep(
  step: StepScenario,
  target: Target,
  reporter: Reporter,
  label: string,
): Promise<void> {
  let session: ShellSession;
  try {
    const opened = await target.open(step);
    session = opened.session;
    for (const problem of opened.problems)
      reporter.result(label, 'FAIL', `setup: ${problem.line}`, problem.output);
  } catch (error) {
    reporter.result(label, 'FAIL', 'setup', (error as Error).message);
    return;
  }
  try {
    for (const item of step.items) {
      if (!isExperiment(item)) {
        const result = await session.run(item.command, DEFAULT_TIMEOUT_SECONDS * 1000);
        if (result.status !== 0)
          reporter.result(label, 'FAIL', `setup: ${item.command.split('\n')[0] ?? ''}`, result.output);
        continue;
      }
      if (item.clusterOnly !== undefined && target.mode === 'local') {
        reporter.result(label, 'SKIP', item.title, `cluster only: ${item.clusterOnly}`);
        continue;
      }
      if (!session.alive) {
        reporter.result(label, 'FAIL', item.title, 'not run: the shell of this step is gone');
        continue;
      }
      let command: string;
      try {
        command = await target.command(item, session);
      } catch (error) {
        reporter.result(label, 'FAIL', item.title, (error as Error).message);
        continue;
      }
      const timeout = (item.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS) * 1000;
      const result = await session.run(command, timeout);
      const problem = result.timedOut
        ? `timed out after ${timeout / 1000} s`
        : checkOutcome(item.expect, result.output, result.status);
      if (problem === undefined) reporter.result(label, 'PASS', item.title);
      else
        reporter.result(
          label,
          'FAIL',
          item.title,
          `${problem}\ngot (exit ${result.status}):\n${result.output.trim() || '(nothing)'}`,
        );
    }
  } finally {
    await session.close();
  }
}
