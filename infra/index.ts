// Entry point for `pulumi up`: the CLI calls the exported function and publishes its result as outputs.
import { deployStack } from './stacks/program';

export = deployStack;
