// The shell an attendee types, built from the scenarios: docs/guide.md prints it and `--cluster` runs it.
import type { Binding, Experiment, StepScenario } from './scenario-types';

/** Typed once per terminal: the stack, its namespace and a port-forward helper. */
export const PREAMBLE = `STACK=dev                                        # your stack
NS=$(pulumi stack output --stack $STACK namespace) # workshop-dev
# forward <namespace> svc/<name> <local>:<remote>: a port-forward in the background, back once it answers
forward() {
  kubectl -n "$1" port-forward "$2" "$3" >/dev/null 2>&1 &
  for _ in $(seq 60); do (: </dev/tcp/127.0.0.1/"\${3%%:*}") 2>/dev/null && return 0; sleep 0.5; done
  echo "port-forward $2 $3 did not come up" >&2
  return 1
}`;

function withComment(line: string, comment: string | undefined): string {
  return comment === undefined ? line : `${line}   # ${comment}`;
}

/** A binding as the line an attendee types. */
export function bindingLine(binding: Binding): string {
  switch (binding.kind) {
    case 'var':
      return withComment(`${binding.name}=${binding.cluster}`, binding.comment);
    case 'file':
      return withComment(`${binding.cluster} > ${binding.file}`, binding.comment);
    case 'forward':
      return `forward ${binding.namespace} svc/${binding.service} ${binding.ports}`;
    case 'shell':
    case 'cluster':
      return withComment(binding.command, binding.comment);
  }
}

export function setupScript(step: StepScenario): string {
  return step.bindings.map(bindingLine).join('\n');
}

/** A CronJob's run on demand: a Job from its template, waited for, its log. */
function jobCommand(cronJob: string, pipe: string): string {
  return [
    `J=${cronJob}-$(date +%s)`,
    `kubectl -n $NS create job --from=cronjob/${cronJob} $J >/dev/null`,
    `kubectl -n $NS wait --for=condition=complete --timeout=300s job/$J >/dev/null`,
    `kubectl -n $NS logs job/$J | ${pipe}`,
  ].join('\n');
}

/** The experiment as typed against the cluster. */
export function clusterCommand(experiment: Experiment): string {
  switch (experiment.kind) {
    case 'shell':
      return experiment.command;
    case 'get':
      return `kubectl -n $NS get ${experiment.what} -o json | jq -cr '${experiment.jq}'`;
    case 'logs':
      return `kubectl -n $NS logs ${experiment.workload} --since=15m | ${experiment.pipe}`;
    case 'job':
      return jobCommand(experiment.cronJob, experiment.pipe);
  }
}

/** Single quotes for the shell: the value as is, whatever it holds. */
export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}
