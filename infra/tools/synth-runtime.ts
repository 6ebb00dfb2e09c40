import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import * as pulumi from '@pulumi/pulumi';
import { fallbackMocks } from './fallback-mocks';
import { isRecord, type SynthResource, type SynthResult, UsageError } from './model';
import { type GeneratorState, isGeneratorType, keptGenerator } from '../testing/generator-state';
import { inferSecretPaths, SECRET_OUTPUTS, unwrapWireValue } from './secrets';
import { readStateFile } from './state-file';
import {
  controlsFromConfig,
  DEFAULT_PROGRAM,
  loadStackConfig,
  PROJECT,
  REPO_ROOT,
  type SynthOptions,
} from './synth';

// The parts of Pulumi's gRPC request/response objects the recorder reads.
export interface StructLike {
  toJavaScript(): Record<string, unknown>;
}
export interface ResourceRequest {
  getType(): string;
  getName(): string;
  getParent(): string;
  getProvider(): string;
  getCustom?(): boolean;
  getDependenciesList?(): string[];
  getObject?(): StructLike | undefined;
  getProperties?(): StructLike | undefined;
  getAdditionalsecretoutputsList?(): string[];
}
interface ResourceResponse {
  getUrn(): string;
  getId?(): string;
  setId?(id: string): void;
  getObject?(): StructLike | undefined;
  setObject?(struct: StructLike): void;
  getProperties?(): StructLike | undefined;
}
type Callback = (error: unknown, response?: ResourceResponse) => void;
interface MonitorLike {
  registerResource(request: ResourceRequest, callback: Callback): unknown;
  readResource(request: ResourceRequest, callback: Callback): unknown;
}
interface RuntimeSettings {
  getMonitor(): unknown;
  waitForRPCs(): Promise<void>;
}

export interface Recorded {
  request: ResourceRequest;
  urn?: string;
  state?: Record<string, unknown>;
}

// The Struct class of the protobuf runtime the Pulumi SDK itself loads, to answer with kept outputs.
const requireAsPulumi = createRequire(require.resolve('@pulumi/pulumi'));
const { Struct } = requireAsPulumi('google-protobuf/google/protobuf/struct_pb') as {
  Struct: { fromJavaScript(value: Record<string, unknown>): StructLike };
};

const GENERATOR = /^(random|tls):/;
const MIN_SECRET_LENGTH = 8;

function isMocks(value: unknown): value is pulumi.runtime.Mocks {
  return isRecord(value) && typeof value.newResource === 'function' && typeof value.call === 'function';
}

/** The infra helper's realistic mocks (`createMocks()` of infra/testing/mocks.ts) when they exist. */
async function loadMocks(root: string): Promise<pulumi.runtime.Mocks> {
  const file = path.join(root, 'infra', 'testing', 'mocks.ts');
  if (!existsSync(file)) return fallbackMocks;
  const module = (await import(file)) as Record<string, unknown>;
  const factory = module.createMocks ?? (isRecord(module.default) ? module.default.createMocks : undefined);
  const mocks: unknown = typeof factory === 'function' ? (factory as () => unknown)() : undefined;
  if (!isMocks(mocks)) throw new Error(`${file} does not export createMocks(): Mocks`);
  return mocks;
}

/**
 * Like the engine with a state file: a generator registered again under its URN with the same inputs
 * keeps its earlier outputs (the mock's fresh answer is dropped); anything else is remembered as new.
 */
function applyGeneratorState(
  request: ResourceRequest,
  response: ResourceResponse,
  state: GeneratorState,
  generated: GeneratorState,
): void {
  const type = request.getType();
  if (!isGeneratorType(type) || response.setObject === undefined) return;
  const urn = response.getUrn();
  const inputs = unwrapWireValue(request.getObject?.()?.toJavaScript() ?? {}) as Record<string, unknown>;
  const kept = keptGenerator(state, urn, type, inputs);
  if (kept !== undefined) {
    response.setObject(Struct.fromJavaScript(kept.outputs));
    response.setId?.(kept.id);
    generated[urn] = kept;
    return;
  }
  const outputs = unwrapWireValue(response.getObject?.()?.toJavaScript() ?? {}) as Record<string, unknown>;
  generated[urn] = { type, id: response.getId?.() ?? '', inputs, outputs };
}

function recordMonitor(
  monitor: MonitorLike,
  recorded: Recorded[],
  state: GeneratorState,
  generated: GeneratorState,
): void {
  for (const method of ['registerResource', 'readResource'] as const) {
    const original = monitor[method].bind(monitor);
    monitor[method] = (request, callback) => {
      const entry: Recorded = { request };
      recorded.push(entry);
      return original(request, (error, response) => {
        if (response !== undefined) {
          if (method === 'registerResource') applyGeneratorState(request, response, state, generated);
          entry.urn = response.getUrn();
          const struct = response.getObject?.() ?? response.getProperties?.();
          entry.state = struct?.toJavaScript() ?? {};
        }
        callback(error, response);
      });
    };
  }
}

function stringLeaves(value: unknown, prefix: string, into: Array<[string, string]>): void {
  if (typeof value === 'string') into.push([prefix, value]);
  else if (Array.isArray(value))
    value.forEach((item, index) => stringLeaves(item, `${prefix}.${index}`, into));
  else if (isRecord(value))
    for (const [key, item] of Object.entries(value)) stringLeaves(item, `${prefix}.${key}`, into);
}

/** Builds the result from what the monitor saw: plain inputs, secret paths, generator outputs. */
export function buildResult(
  stack: string,
  controls: string[],
  recorded: readonly Recorded[],
  generators: GeneratorState = {},
): SynthResult {
  const secretValues = new Set<string>();
  const generatedValues: Record<string, string> = {};
  const resources: SynthResource[] = recorded.map(({ request, urn, state }) => {
    const secretPaths: string[] = [];
    const raw = request.getObject?.() ?? request.getProperties?.();
    const inputs = unwrapWireValue(raw?.toJavaScript() ?? {}, [], secretPaths) as Record<string, unknown>;
    const type = request.getType();
    const resource: SynthResource = {
      urn: urn ?? `${type}::${request.getName()}`,
      type,
      name: request.getName(),
      custom: request.getCustom?.() ?? true,
      dependsOn: [...(request.getDependenciesList?.() ?? [])].sort(),
      inputs,
      secretPaths,
    };
    if (request.getParent() !== '') resource.parent = request.getParent();
    if (request.getProvider() !== '') resource.provider = request.getProvider();
    const declaredSecret = request.getAdditionalsecretoutputsList?.() ?? [];
    // Generators, and any non-Kubernetes resource whose SDK declares secret outputs (a Secret's own
    // data is masked by path instead: its literals, like a default password, must not taint others).
    const generator = GENERATOR.test(type) || (declaredSecret.length > 0 && !type.startsWith('kubernetes:'));
    if (generator && state !== undefined) {
      const outputSecretPaths: string[] = [];
      const outputs = unwrapWireValue(state, [], outputSecretPaths) as Record<string, unknown>;
      resource.outputs = outputs;
      // The provider SDK declares its secret outputs (additionalSecretOutputs); the list covers older SDKs.
      const secretProps = new Set([
        ...declaredSecret,
        ...(SECRET_OUTPUTS[type] ?? []),
        ...outputSecretPaths.map((p) => p.split('.')[0]),
      ]);
      for (const [key, output] of Object.entries(outputs)) {
        if (key in inputs) continue;
        const leaves: Array<[string, string]> = [];
        stringLeaves(output, key, leaves);
        for (const [leafPath, text] of leaves) {
          if (text.length < MIN_SECRET_LENGTH) continue;
          if (secretProps.has(key)) secretValues.add(text);
          else generatedValues[text] = `[generated ${resource.name}.${leafPath}]`;
        }
      }
    }
    return resource;
  });
  const secrets = [...secretValues].sort();
  for (const resource of resources) {
    const inferred = inferSecretPaths(resource.type, resource.inputs, secrets);
    if (resource.outputs !== undefined) {
      // Outputs echo inputs (a certificate's own private key): mask by name and by value alike.
      resource.outputSecretPaths = [
        ...(SECRET_OUTPUTS[resource.type] ?? []).filter((key) => key in (resource.outputs ?? {})),
        ...inferSecretPaths(resource.type, resource.outputs, secrets),
      ];
    }
    const all = [...new Set([...resource.secretPaths, ...inferred])].sort();
    // A path under an already secret path adds nothing.
    resource.secretPaths = all.filter(
      (p) => !all.some((other) => other !== p && (other === '' || p.startsWith(`${other}.`))),
    );
  }
  resources.sort((a, b) => (a.urn < b.urn ? -1 : a.urn > b.urn ? 1 : 0));
  return { stack, controls, resources, secretValues: secrets, generatedValues, generators };
}

/** Runs the program in this process under Pulumi's mock runtime; call at most once per process. */
export async function synthesizeInProcess(options: SynthOptions): Promise<SynthResult> {
  const root = options.root ?? REPO_ROOT;
  const config = loadStackConfig({ ...options, root });
  const program = path.resolve(root, options.program ?? DEFAULT_PROGRAM);
  if (!existsSync(program)) throw new UsageError(`program not found: ${program}`);
  const mocks = await loadMocks(root);
  const stack = options.stackName ?? options.stack;
  await pulumi.runtime.setMocks(mocks, PROJECT, stack, false);
  pulumi.runtime.setAllConfig(config, []);
  // Internal runtime module: the recorder needs the monitor and the RPC queue, which the typings hide.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const settings = require('@pulumi/pulumi/runtime/settings') as RuntimeSettings;
  const recorded: Recorded[] = [];
  const generated: GeneratorState = {};
  const kept = options.stateFile === undefined ? {} : readStateFile(options.stateFile);
  recordMonitor(settings.getMonitor() as MonitorLike, recorded, kept, generated);
  await pulumi.runtime.runInPulumiStack(async () => {
    const module = (await import(program)) as Record<string, unknown>;
    if (typeof module.default === 'function') await (module.default as () => unknown)();
    return {};
  });
  await settings.waitForRPCs();
  return buildResult(stack, controlsFromConfig(config), recorded, generated);
}
