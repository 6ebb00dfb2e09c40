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

export const SECRET_PLACEHOLDER = '[secret]';

/** A one-line error caused by what the user typed or pointed us at; the CLI exits 2 on it. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export type PathSegment = string | number;

export function joinPath(path: readonly PathSegment[]): string {
  return path.map(String).join('.');
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Kubernetes resources are the ones whose inputs are a manifest (apiVersion + kind). */
export interface KubernetesObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name?: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  [field: string]: unknown;
}

export function asKubernetesObject(resource: SynthResource): KubernetesObject | undefined {
  const { inputs } = resource;
  if (!resource.type.startsWith('kubernetes:') || resource.type.startsWith('kubernetes:helm.sh'))
    return undefined;
  if (typeof inputs.apiVersion !== 'string' || typeof inputs.kind !== 'string') return undefined;
  const metadata = isRecord(inputs.metadata) ? inputs.metadata : {};
  return { ...inputs, apiVersion: inputs.apiVersion, kind: inputs.kind, metadata } as KubernetesObject;
}

export function isHelmRelease(resource: SynthResource): boolean {
  return resource.type.startsWith('kubernetes:helm.sh/') && resource.type.endsWith(':Release');
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
