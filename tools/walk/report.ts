// The walk's output: one line per experiment, a summary per step, nothing secret.

export type Verdict = 'PASS' | 'FAIL' | 'SKIP';

export interface StepTally {
  passed: number;
  failed: number;
  skipped: number;
}

const PATTERNS: [RegExp, string][] = [
  [/-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----/g, '[private key]'],
  // JWT access tokens and JumpWire client credentials.
  [/eyJ[\w-]+\.eyJ[\w-]+\.[\w-]*/g, '[token]'],
  [/SFMyNTY\.[\w-]+\.[\w-]+/g, '[token]'],
];

/** Hides every known secret value and anything shaped like a token or a private key. */
export class Redactor {
  private readonly values = new Set<string>();

  add(values: Iterable<string>): void {
    for (const value of values) if (value.length >= 6) this.values.add(value);
  }

  redact(text: string): string {
    let out = text;
    // Longest first: a value that contains another is hidden whole.
    for (const value of [...this.values].sort((a, b) => b.length - a.length))
      out = out.split(value).join('[secret]');
    for (const [pattern, replacement] of PATTERNS) out = out.replace(pattern, replacement);
    return out;
  }
}

export class Reporter {
  readonly redactor = new Redactor();
  private readonly tallies = new Map<string, StepTally>();

  constructor(private readonly write: (line: string) => void = (line) => process.stdout.write(`${line}\n`)) {}

  line(text: string): void {
    this.write(this.redactor.redact(text));
  }

  result(step: string, verdict: Verdict, title: string, detail?: string): void {
    const tally = this.tally(step);
    if (verdict === 'PASS') tally.passed += 1;
    else if (verdict === 'FAIL') tally.failed += 1;
    else tally.skipped += 1;
    const suffix = verdict === 'SKIP' && detail !== undefined ? ` (${detail})` : '';
    this.line(`${verdict} ${step} ${title}${suffix}`);
    if (verdict === 'FAIL' && detail !== undefined) {
      for (const line of detail.trimEnd().split('\n').slice(0, 12)) this.line(`     ${line}`);
    }
  }

  summary(step: string, label: string): void {
    const tally = this.tally(step);
    this.line(`${label}: ${tally.passed} passed, ${tally.failed} failed, ${tally.skipped} skipped`);
  }

  get failures(): number {
    return [...this.tallies.values()].reduce((sum, tally) => sum + tally.failed, 0);
  }

  totals(): StepTally {
    const total = { passed: 0, failed: 0, skipped: 0 };
    for (const tally of this.tallies.values()) {
      total.passed += tally.passed;
      total.failed += tally.failed;
      total.skipped += tally.skipped;
    }
    return total;
  }

  private tally(step: string): StepTally {
    let tally = this.tallies.get(step);
    if (tally === undefined) {
      tally = { passed: 0, failed: 0, skipped: 0 };
      this.tallies.set(step, tally);
    }
    return tally;
  }
}
