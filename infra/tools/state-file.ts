// `render --state FILE`: the generated values of earlier renders, kept as Pulumi state keeps them
// between `pulumi up`s. The file holds passwords and private keys in the clear: it is written 0600.
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { GeneratorState, KeptGenerator } from '../testing/generator-state';
import { isRecord, UsageError } from './model';

const VERSION = 1;

function isKeptGenerator(value: unknown): value is KeptGenerator {
  return (
    isRecord(value) &&
    typeof value.type === 'string' &&
    typeof value.id === 'string' &&
    isRecord(value.inputs) &&
    isRecord(value.outputs)
  );
}

/** The kept generators of `file`; none when the file does not exist yet (the first render). */
export function readStateFile(file: string): GeneratorState {
  if (!existsSync(file)) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new UsageError(`cannot read state file ${file}: ${(error as Error).message.split('\n')[0]}`);
  }
  const resources = isRecord(parsed) && parsed.version === VERSION ? parsed.resources : undefined;
  if (!isRecord(resources) || !Object.values(resources).every(isKeptGenerator))
    throw new UsageError(`${file} is not a state file of these tools (version ${VERSION})`);
  return resources as GeneratorState;
}

/**
 * Writes the earlier state with this run's generators over it. Resources this run did not register
 * stay, so a control turned off for one step finds its values again when it comes back.
 */
export function writeStateFile(file: string, earlier: GeneratorState, generated: GeneratorState): void {
  const merged: GeneratorState = { ...earlier, ...generated };
  const resources = Object.fromEntries(
    Object.keys(merged)
      .sort()
      .map((urn) => [urn, merged[urn]]),
  );
  mkdirSync(path.dirname(path.resolve(file)), { recursive: true, mode: 0o700 });
  // A new file beside the old one, renamed over it: a reader never sees half a state.
  const partial = `${file}.${process.pid}.tmp`;
  writeFileSync(partial, `${JSON.stringify({ version: VERSION, resources }, null, 2)}\n`, { mode: 0o600 });
  chmodSync(partial, 0o600);
  renameSync(partial, file);
}
