// Phase timings, printed as each phase ends and summed up at the end (the check and the engine
// driver report them the same way).
export type Timer = <T>(name: string, work: () => Promise<T>) => Promise<T>;

export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)}s`;
}

export interface PhaseTimer {
  /** Runs and times a phase, printed when it ends and listed again by `summary`. */
  timed: Timer;
  /** Times a part of a phase: printed indented as it ends, left out of the summary. */
  part: Timer;
  /** `name 1.2s, name 3.4s, ...` for every phase so far. */
  summary: () => string;
}

export function phaseTimer(log: (line: string) => void): PhaseTimer {
  const phases: Array<[string, number]> = [];
  const measure =
    (record: boolean): Timer =>
    async (name, work) => {
      const started = Date.now();
      try {
        return await work();
      } finally {
        const elapsed = Date.now() - started;
        if (record) phases.push([name, elapsed]);
        log(`${record ? '' : '  '}${name}: ${seconds(elapsed)}`);
      }
    };
  return {
    timed: measure(true),
    part: measure(false),
    summary: () => phases.map(([name, ms]) => `${name} ${seconds(ms)}`).join(', '),
  };
}
