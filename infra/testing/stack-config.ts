// A stack's configuration as the Pulumi CLI hands it to the program: project defaults from
// Pulumi.yaml, then Pulumi.<stack>.yaml, every value a string (structured values as JSON).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parse as parseYaml } from 'yaml';

export const PROJECT_NAME = 'secure-workshop';
export const REPO_ROOT = path.resolve(__dirname, '..', '..');
export const CONTROLS_KEY = `${PROJECT_NAME}:controls`;

const STACK_NAME = /^[A-Za-z0-9_.-]+$/;

/** The stack or its file is not usable: a mistake of whoever named it, reported in one line. */
export class StackConfigError extends Error {
  override readonly name = 'StackConfigError';
}

export function checkStackName(stack: string): string {
  if (!STACK_NAME.test(stack)) throw new StackConfigError(`invalid stack name '${stack}'`);
  return stack;
}

/** The stacks that have a `Pulumi.<stack>.yaml`. */
function listStacks(): string[] {
  return readdirSync(REPO_ROOT)
    .map((file) => /^Pulumi\.(.+)\.ya?ml$/.exec(file)?.[1])
    .filter((stack): stack is string => stack !== undefined)
    .sort();
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function qualify(key: string): string {
  return key.includes(':') ? key : `${PROJECT_NAME}:${key}`;
}

/** Config values reach programs as strings; structured values as JSON. */
export function toRuntimeConfig(config: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(config).map(([key, value]) => [
      key,
      typeof value === 'string' ? value : JSON.stringify(value),
    ]),
  );
}

function readYaml(file: string): unknown {
  try {
    return parseYaml(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new StackConfigError(
      `cannot parse ${path.basename(file)}: ${(error as Error).message.split('\n')[0]}`,
    );
  }
}

/**
 * The config of `Pulumi.<stack>.yaml` over the project's defaults. Encrypted values need the Pulumi
 * CLI and are left out; `controls` replaces the stack's control list (an ad-hoc step).
 */
export function loadStackConfig(
  stack: string,
  overrides: { controls?: readonly string[] } = {},
): Record<string, string> {
  checkStackName(stack);
  const stackFile = ['yaml', 'yml']
    .map((ext) => path.join(REPO_ROOT, `Pulumi.${stack}.${ext}`))
    .find(existsSync);
  if (stackFile === undefined) {
    throw new StackConfigError(
      `unknown stack '${stack}': no Pulumi.${stack}.yaml in ${REPO_ROOT} (stacks: ${listStacks().join(', ')})`,
    );
  }
  const config: Record<string, unknown> = {};
  const project = readYaml(path.join(REPO_ROOT, 'Pulumi.yaml'));
  for (const [key, spec] of Object.entries(
    isRecord(project) && isRecord(project.config) ? project.config : {},
  )) {
    const value = isRecord(spec) ? spec.default : spec;
    if (value !== undefined) config[qualify(key)] = value;
  }
  const parsed = readYaml(stackFile);
  for (const [key, value] of Object.entries(isRecord(parsed) && isRecord(parsed.config) ? parsed.config : {}))
    if (!(isRecord(value) && 'secure' in value)) config[qualify(key)] = value;
  if (overrides.controls !== undefined) config[CONTROLS_KEY] = [...overrides.controls];
  return toRuntimeConfig(config);
}
