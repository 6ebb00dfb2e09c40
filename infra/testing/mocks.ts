// The offline runtime: a Pulumi program run under the SDK's mock monitor with realistic provider
// outputs, every registration recorded. The tests and the offline tools (infra/tools) both run here.
import { createRequire } from 'node:module';
import * as pulumi from '@pulumi/pulumi';
import { type GeneratorState, isGeneratorType, keptGenerator } from './generator-state';
import { providerMocks } from './provider-outputs';
import { maskSecrets, plainValue, WIRE_SIGNATURES } from './secret-values';
import { loadStackConfig, PROJECT_NAME, toRuntimeConfig } from './stack-config';

export { findObject, kubernetesKind, kubernetesObjects, objectName } from './objects';
export { SECRET_PLACEHOLDER } from './secret-values';

/** One resource as the program registered it. */
export interface RecordedResource {
  type: string;
  name: string;
  urn: string;
  id: string;
  /** Inputs with secrets unwrapped to their plain values. */
  inputs: Record<string, unknown>;
  /** Paths of the inputs the program passed as secrets (`stringData.password`, `spec.0.value`). */
  secretPaths: string[];
  /** The same inputs with every secret value replaced by "[secret]" (and Kubernetes Secret data too). */
  redactedInputs: Record<string, unknown>;
  /** The outputs the mock answered with (or, for a generator kept in the state, answered before). */
  state: Record<string, unknown>;
  /** Outputs the resource's SDK declares secret (`additionalSecretOutputs`). */
  secretOutputs: string[];
  parent?: string;
  provider?: string;
  custom: boolean;
  dependencies: string[];
  /** A read of an existing object (`Resource.get`): the stack depends on it, never creates or deletes it. */
  read?: true;
}

export interface RunProgramOptions {
  stack: string;
  /** Full config map (`secure-workshop:controls` ...); defaults to the stack file's config. */
  config?: Record<string, unknown>;
  /** The program: builds resources and returns the stack outputs. */
  program: () => unknown;
  /**
   * Generated values of earlier runs by URN: a generator registered again with the same inputs keeps
   * its outputs, as Pulumi state keeps them between `pulumi up`s.
   */
  generatorState?: GeneratorState;
}

export interface ProgramRun {
  resources: RecordedResource[];
  outputs: Record<string, unknown>;
  /** Everything the program or the SDK warned about (console.warn, pulumi.log.warn). */
  warnings: string[];
  /** Every generator of this run with its inputs and outputs in the clear (see `generatorState`). */
  generators: GeneratorState;
}

// The parts of the monitor's gRPC messages the recorder reads and writes.
interface StructLike {
  toJavaScript(): Record<string, unknown>;
}
interface ResourceRequest {
  getType(): string;
  getName(): string;
  getParent(): string;
  getProvider(): string;
  getCustom?(): boolean;
  getDependenciesList?(): string[];
  getAdditionalsecretoutputsList?(): string[];
  getObject?(): StructLike | undefined;
  getProperties?(): StructLike | undefined;
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

// The protobuf Struct of the runtime the Pulumi SDK loads, to answer with kept outputs.
const { Struct } = createRequire(require.resolve('@pulumi/pulumi'))(
  'google-protobuf/google/protobuf/struct_pb',
) as {
  Struct: { fromJavaScript(value: Record<string, unknown>): StructLike };
};

function plainProperties(
  struct: StructLike | undefined,
  secretPaths: string[] = [],
): Record<string, unknown> {
  return plainValue(struct?.toJavaScript() ?? {}, [], secretPaths) as Record<string, unknown>;
}

/**
 * As the engine does with a state file: a generator registered again under its URN with the same
 * inputs keeps its earlier outputs (the mock's fresh answer is dropped); anything else is new.
 */
function applyGeneratorState(
  request: ResourceRequest,
  response: ResourceResponse,
  inputs: Record<string, unknown>,
  kept: GeneratorState,
  generated: GeneratorState,
): void {
  const type = request.getType();
  if (!isGeneratorType(type) || response.setObject === undefined) return;
  const urn = response.getUrn();
  const earlier = keptGenerator(kept, urn, type, inputs);
  if (earlier !== undefined) {
    response.setObject(Struct.fromJavaScript(earlier.outputs));
    response.setId?.(earlier.id);
    generated[urn] = earlier;
  } else {
    const outputs = plainProperties(response.getObject?.());
    generated[urn] = { type, id: response.getId?.() ?? '', inputs, outputs };
  }
}

/**
 * As the engine does: the outputs a resource's SDK declares secret (`additionalSecretOutputs`, e.g. a
 * RandomPassword's `result`) reach the program as secrets, so whatever it computes from them (a
 * config file, a checksum) is secret too and is masked by path wherever it lands.
 */
function markSecretOutputs(request: ResourceRequest, response: ResourceResponse): void {
  const names = request.getAdditionalsecretoutputsList?.() ?? [];
  const outputs = response.getObject?.()?.toJavaScript();
  if (names.length === 0 || outputs === undefined || response.setObject === undefined) return;
  for (const name of names)
    if (name in outputs)
      outputs[name] = { [WIRE_SIGNATURES.key]: WIRE_SIGNATURES.secret, value: outputs[name] };
  response.setObject(Struct.fromJavaScript(outputs));
}

function redact(
  type: string,
  inputs: Record<string, unknown>,
  secretPaths: string[],
): Record<string, unknown> {
  const payload =
    type === 'kubernetes:core/v1:Secret' ? ['data', 'stringData'].filter((key) => key in inputs) : [];
  return maskSecrets(inputs, [...secretPaths, ...payload]);
}

/**
 * Wraps the mock monitor so each registration (and read) is recorded with its URN, parent, provider,
 * dependencies and secret paths, which the Mocks interface alone does not see.
 */
function recordRegistrations(
  monitor: MonitorLike,
  resources: RecordedResource[],
  kept: GeneratorState,
  generated: GeneratorState,
): void {
  for (const method of ['registerResource', 'readResource'] as const) {
    const original = monitor[method].bind(monitor);
    monitor[method] = (request, callback) =>
      original(request, (error, response) => {
        if (!error && response) {
          const secretPaths: string[] = [];
          const inputs = plainProperties(request.getObject?.() ?? request.getProperties?.(), secretPaths);
          if (method === 'registerResource') {
            applyGeneratorState(request, response, inputs, kept, generated);
            markSecretOutputs(request, response);
          }
          const recorded: RecordedResource = {
            type: request.getType(),
            name: request.getName(),
            urn: response.getUrn(),
            id: response.getId?.() ?? '',
            inputs,
            secretPaths,
            redactedInputs: redact(request.getType(), inputs, secretPaths),
            state: plainProperties(response.getObject?.() ?? response.getProperties?.()),
            secretOutputs: request.getAdditionalsecretoutputsList?.() ?? [],
            custom: request.getCustom?.() ?? true,
            dependencies: request.getDependenciesList?.() ?? [],
          };
          if (request.getParent()) recorded.parent = request.getParent();
          if (request.getProvider()) recorded.provider = request.getProvider();
          if (method === 'readResource') recorded.read = true;
          resources.push(recorded);
        }
        callback(error, response);
      });
  }
}

/**
 * Runs a program under the mock runtime as the CLI would run a stack and returns what it registered.
 * Pulumi's runtime state is per process: run stacks one after another, never concurrently.
 */
export async function runProgram(options: RunProgramOptions): Promise<ProgramRun> {
  const config = options.config ?? loadStackConfig(options.stack);
  pulumi.runtime.setAllConfig(toRuntimeConfig(config), []);
  await pulumi.runtime.setMocks(providerMocks, PROJECT_NAME, options.stack, false);
  const resources: RecordedResource[] = [];
  const generators: GeneratorState = {};
  recordRegistrations(
    pulumi.runtime.getMonitor() as unknown as MonitorLike,
    resources,
    options.generatorState ?? {},
    generators,
  );
  const warnings: string[] = [];
  const originalWarn = console.warn;
  console.warn = (...args: unknown[]) => {
    warnings.push(args.map(String).join(' '));
  };
  try {
    // The program's own error is rethrown here; letting it escape into the Stack would also reject
    // a promise nobody awaits.
    let failure: { error: unknown } | undefined;
    const outputs = await pulumi.runtime.runInPulumiStack(async () => {
      try {
        return (await options.program()) as pulumi.Inputs;
      } catch (error) {
        failure = { error };
        return {};
      }
    });
    await pulumi.runtime.disconnect();
    if (failure) throw failure.error;
    return { resources, outputs: plainValue(outputs ?? {}) as Record<string, unknown>, warnings, generators };
  } finally {
    console.warn = originalWarn;
  }
}
