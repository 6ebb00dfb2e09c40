// What Pulumi state keeps of generated values between two `pulumi up`s, for the mock runtime: a
// generator (random password, TLS key, self-signed certificate...) whose URN and inputs are the same
// as last time answers with last time's outputs; any change of inputs makes a new value.
import { isDeepStrictEqual } from 'node:util';

/** Resource types whose outputs the mocks generate rather than derive from the inputs. */
const GENERATOR_TYPE = /^(random|tls):/;

export function isGeneratorType(type: string): boolean {
  return GENERATOR_TYPE.test(type);
}

/** One generated resource as the state keeps it (values in the clear: the state file is a secret). */
export interface KeptGenerator {
  type: string;
  id: string;
  inputs: Record<string, unknown>;
  outputs: Record<string, unknown>;
}

/** Generated resources by URN. */
export type GeneratorState = Record<string, KeptGenerator>;

/** The kept outputs for this registration, when the URN was generated before from the same inputs. */
export function keptGenerator(
  state: GeneratorState,
  urn: string,
  type: string,
  inputs: Record<string, unknown>,
): KeptGenerator | undefined {
  const kept = Object.hasOwn(state, urn) ? state[urn] : undefined;
  return kept !== undefined && kept.type === type && isDeepStrictEqual(kept.inputs, inputs)
    ? kept
    : undefined;
}
