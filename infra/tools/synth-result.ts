// What the offline tools make of a recorded run: every resource with the paths to mask (marked
// secret by the program, or holding a generated secret), and the generated values to label.
import type { ProgramRun, RecordedResource } from '../testing/mocks';
import { isGeneratorType } from '../testing/generator-state';
import { isRecord, type SynthResource, type SynthResult } from './model';
import { inferSecretPaths, SECRET_OUTPUTS } from './secrets';

const MIN_SECRET_LENGTH = 8;

function stringLeaves(value: unknown, prefix: string, into: Array<[string, string]>): void {
  if (typeof value === 'string') into.push([prefix, value]);
  else if (Array.isArray(value))
    value.forEach((item, index) => stringLeaves(item, `${prefix}.${index}`, into));
  else if (isRecord(value))
    for (const [key, item] of Object.entries(value)) stringLeaves(item, `${prefix}.${key}`, into);
}

/**
 * Generators, and any non-Kubernetes resource whose SDK declares secret outputs, make values other
 * inputs reuse. (A Secret's own data is masked by path instead: its literals, like a default
 * password, must not taint other objects.)
 */
function makesValues(recorded: RecordedResource): boolean {
  return (
    isGeneratorType(recorded.type) ||
    (recorded.secretOutputs.length > 0 && !recorded.type.startsWith('kubernetes:'))
  );
}

function synthResource(recorded: RecordedResource): SynthResource {
  const resource: SynthResource = {
    urn: recorded.urn,
    type: recorded.type,
    name: recorded.name,
    custom: recorded.custom,
    dependsOn: [...recorded.dependencies].sort(),
    inputs: recorded.inputs,
    secretPaths: recorded.secretPaths,
  };
  if (recorded.parent !== undefined) resource.parent = recorded.parent;
  if (recorded.provider !== undefined) resource.provider = recorded.provider;
  if (recorded.read) resource.read = true;
  if (makesValues(recorded)) resource.outputs = recorded.state;
  return resource;
}

/** The run as the tools see it: resources sorted by URN, secrets to mask, generated values to label. */
export function synthResult(stack: string, run: ProgramRun): SynthResult {
  const secretValues = new Set<string>();
  const generatedValues: Record<string, string> = {};
  const resources = run.resources.map(synthResource);
  run.resources.forEach((recorded, index) => {
    const { outputs, name, inputs, type } = resources[index] as SynthResource;
    if (outputs === undefined) return;
    const secretProps = new Set([...recorded.secretOutputs, ...(SECRET_OUTPUTS[type] ?? [])]);
    for (const [key, output] of Object.entries(outputs)) {
      if (key in inputs) continue;
      const leaves: Array<[string, string]> = [];
      stringLeaves(output, key, leaves);
      for (const [leafPath, text] of leaves) {
        if (text.length < MIN_SECRET_LENGTH) continue;
        if (secretProps.has(key)) secretValues.add(text);
        else generatedValues[text] = `[generated ${name}.${leafPath}]`;
      }
    }
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
  const controls = Array.isArray(run.outputs.controls) ? run.outputs.controls.map(String) : [];
  return { stack, controls, resources, secretValues: secrets, generatedValues, generators: run.generators };
}
