import type { GeneratorState } from '../testing/generator-state';

/** What one synthesis of the program records: every registered resource with its plain inputs. */
export interface SynthResource {
  urn: string;
  type: string;
  name: string;
  custom: boolean;
  parent?: string;
  provider?: string;
  dependsOn: string[];
  /** Inputs as the program passed them, secrets unwrapped (never print these without `maskSecrets`). */
  inputs: Record<string, unknown>;
  /** Paths (property names joined by `.`, array indexes as numbers) whose value is secret. */
  secretPaths: string[];
  /** Outputs the mocks returned, only for generators (random, tls) whose values other inputs reuse. */
  outputs?: Record<string, unknown>;
  /** Paths of `outputs` whose value is secret. */
  outputSecretPaths?: string[];
  /** Read from the cluster (an add-on the stack uses), not created by it: never rendered as an object. */
  read?: true;
}

export interface SynthResult {
  stack: string;
  controls: string[];
  resources: SynthResource[];
  /** Output strings of generators that are secret (passwords, private keys). */
  secretValues: string[];
  /** Output strings of generators that change on every run (UUIDs, certificates), mapped to a stable label. */
  generatedValues: Record<string, string>;
  /** Every generator of this run with its inputs and outputs in the clear: what `--state` keeps. */
  generators: GeneratorState;
}

/** A one-line error caused by what the user typed or pointed us at; the CLI exits 2 on it. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Bad input, whoever noticed it: the tools, the catalog, the stack file reader or the program's settings. */
export function isBadInput(error: unknown): boolean {
  return (
    error instanceof UsageError ||
    (error instanceof Error && ['ControlsError', 'SettingsError', 'StackConfigError'].includes(error.name))
  );
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Greedy word wrap: lines of at most `max` characters unless one word is longer. */
export function wrapWords(text: string, max: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line !== '' && line.length + word.length + 1 > max) {
      lines.push(line);
      line = word;
    } else line = line === '' ? word : `${line} ${word}`;
  }
  if (line !== '') lines.push(line);
  return lines;
}
