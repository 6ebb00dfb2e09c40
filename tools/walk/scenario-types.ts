// The shape of the guide's experiments: written once (scenarios.ts), printed into docs/guide.md
// (guide.ts) and run by the walk against the local processes (local.ts) or a cluster (cluster.ts).

/** What an experiment must show. `shows` is the guide's "You should see" line; the rest checks it. */
export interface Expectation {
  shows: string;
  /** Every pattern must match the command's output (stdout and stderr together, trimmed). */
  match?: RegExp | readonly RegExp[];
  /** No pattern may match the output. */
  absent?: RegExp | readonly RegExp[];
  /** The command's exit status, when it is part of the result. */
  exit?: 'zero' | 'nonzero';
}

interface ExperimentBase {
  /** One line: `PASS step 2 <title>`. */
  title: string;
  expect: Expectation;
  /** Set when only a real cluster has what the experiment needs; the text says what and why. */
  clusterOnly?: string;
  /** Seconds the command may take (default 60). */
  timeoutSeconds?: number;
}

/** A command typed as is, in both places: curl, psql, jq against the names the step set up. */
export interface ShellExperiment extends ExperimentBase {
  kind: 'shell';
  command: string;
}

/** `kubectl get <what> -o json | jq -cr '<jq>'`; locally the same jq reads the rendered objects. */
export interface GetExperiment extends ExperimentBase {
  kind: 'get';
  /** `deploy api`, or kinds only (`deploy,job,cronjob`) for a list. */
  what: string;
  jq: string;
}

/** `kubectl logs <workload> | <pipe>`; locally the pipe reads the process's output. */
export interface LogsExperiment extends ExperimentBase {
  kind: 'logs';
  workload: string;
  pipe: string;
}

/** A run of a CronJob now (`kubectl create job --from=cronjob/...`), its log through `pipe`. */
export interface JobExperiment extends ExperimentBase {
  kind: 'job';
  cronJob: string;
  pipe: string;
}

export type Experiment = ShellExperiment | GetExperiment | LogsExperiment | JobExperiment;

/** A line of shell both places run for what follows (TOKEN=...), checked only for its exit status. */
export interface ShellStep {
  kind: 'setup';
  command: string;
  /** Why, as a comment in the guide. */
  comment?: string;
}

export type StepItem = Experiment | ShellStep;

/**
 * What the walk knows locally about a deployed step: names, addresses and values the setup lines
 * take from the cluster (kubectl, pulumi stack output) when an attendee types them.
 */
export interface LocalFacts {
  namespace: string;
  /** The Service's address in the walk's network namespace. */
  serviceIp(name: string): string;
  /** The Service's first port. */
  servicePort(name: string): number;
  /** A key of a Secret of this step (rendered, or issued by the walk's certificate issuer). */
  secret(name: string, key: string): string;
  configMap(name: string, key: string): string;
  /** The workshop client's secret: `pulumi stack output workshopClientSecret --show-secrets`. */
  workshopClientSecret(): string;
}

/** A setup line: what an attendee types before the experiments, and what the walk sets locally. */
export type Binding =
  /** `NAME=<cluster>`; locally the value from the step's facts. */
  | { kind: 'var'; name: string; cluster: string; local: (facts: LocalFacts) => string; comment?: string }
  /** `<cluster> > file`; locally the walk writes the file. */
  | { kind: 'file'; file: string; cluster: string; local: (facts: LocalFacts) => string; comment?: string }
  /** `forward <namespace> svc/<name> <ports>` (a port-forward); locally the names resolve already. */
  | { kind: 'forward'; namespace: string; service: string; ports: string; clusterOnly?: boolean }
  /** Typed as is in both places (TOKEN=$(curl ...)). */
  | { kind: 'shell'; command: string; comment?: string }
  /** Cluster only: the line has no local counterpart (the gateway, the monitoring stack). */
  | { kind: 'cluster'; command: string; comment?: string };

export interface StepScenario {
  /** 0 = start, then the guide's steps (GUIDE_STEPS numbers). */
  number: number;
  /** The stack file of the step (start, step1 ... end). */
  stack: string;
  bindings: readonly Binding[];
  items: readonly StepItem[];
}

export function isExperiment(item: StepItem): item is Experiment {
  return item.kind !== 'setup';
}

function patterns(value: RegExp | readonly RegExp[] | undefined): readonly RegExp[] {
  if (value === undefined) return [];
  return value instanceof RegExp ? [value] : value;
}

/** Why the output does not meet the expectation, or undefined when it does. */
export function checkOutcome(expect: Expectation, output: string, status: number): string | undefined {
  const text = output.trim();
  for (const pattern of patterns(expect.match)) {
    if (!pattern.test(text)) return `expected output matching ${String(pattern)}`;
  }
  for (const pattern of patterns(expect.absent)) {
    if (pattern.test(text)) return `output must not match ${String(pattern)}`;
  }
  if (expect.exit === 'zero' && status !== 0) return `expected exit status 0, got ${status}`;
  if (expect.exit === 'nonzero' && status === 0) return 'expected a non-zero exit status, got 0';
  return undefined;
}
