import { asKubernetesObject, type PolicyInput, policyInputs } from '../testing/objects';
import { SECRET_PLACEHOLDER } from '../testing/secret-values';
import type { SynthResult } from './model';

// What the policy pack's pure runner (policy/run.ts) takes and returns; the rules live only there.

export interface PolicyViolation {
  policy: string;
  owaspCategory: string;
  control: string;
  remediation: string;
  enforcementLevel: 'mandatory' | 'advisory';
  urn?: string;
  message: string;
}

export type PolicyRunner = (resources: readonly PolicyInput[]) => Promise<PolicyViolation[]>;

/** The pack's own `runPolicies`, so `check` and `pulumi preview --policy-pack` share one rule set. */
export async function loadPolicyRunner(): Promise<PolicyRunner> {
  // Loaded on demand: render, diff and draw do not need the policies.
  const { runPolicies } = await import('../../policy/run.js');
  return runPolicies;
}

export interface CheckReport {
  stack: string;
  violations: PolicyViolation[];
  mandatory: number;
  /** Which object each violation is about, as a reader names it ("Deployment workshop-end/api"). */
  objectNames: Map<string, string>;
}

export async function checkStack(result: SynthResult, runner: PolicyRunner): Promise<CheckReport> {
  // Policies see real values; whatever they say is printed, so generated secrets are masked first.
  const secrets = [...result.secretValues].sort((a, b) => b.length - a.length);
  const violations = (await runner(policyInputs(result.resources))).map((violation) => ({
    ...violation,
    message: secrets.reduce((text, secret) => text.split(secret).join(SECRET_PLACEHOLDER), violation.message),
  }));
  const objectNames = new Map<string, string>();
  for (const resource of result.resources) {
    const manifest = asKubernetesObject(resource);
    const label = manifest
      ? `${manifest.kind} ${manifest.metadata.namespace ? `${manifest.metadata.namespace}/` : ''}${manifest.metadata.name ?? resource.name}`
      : `${resource.type.split(':').pop() ?? resource.type} ${resource.name}`;
    objectNames.set(resource.urn, label);
  }
  const order = (v: PolicyViolation): string => `${v.owaspCategory} ${v.policy} ${v.urn ?? ''}`;
  violations.sort((a, b) => order(a).localeCompare(order(b)));
  return {
    stack: result.stack,
    violations,
    mandatory: violations.filter((violation) => violation.enforcementLevel === 'mandatory').length,
    objectNames,
  };
}

export function formatCheck(report: CheckReport): string {
  if (report.violations.length === 0) return `Stack ${report.stack}: no policy violations.\n`;
  const lines: string[] = [];
  for (const violation of report.violations) {
    const object =
      violation.urn === undefined ? 'the stack' : (report.objectNames.get(violation.urn) ?? violation.urn);
    lines.push(
      `${violation.enforcementLevel === 'mandatory' ? 'FAIL' : 'WARN'} ${violation.owaspCategory} ${violation.policy}: ${object}`,
    );
    lines.push(`     ${violation.message.split('\n')[0]}`);
    lines.push(`     fixed by control: ${violation.control}`);
    lines.push(`     remediation: ${violation.remediation}`);
  }
  const categories = [...new Set(report.violations.map((violation) => violation.owaspCategory))].sort();
  const advisory = report.violations.length - report.mandatory;
  lines.push('');
  lines.push(
    `Stack ${report.stack}: ${report.mandatory} mandatory and ${advisory} advisory violation${advisory === 1 ? '' : 's'} in ${categories.join(', ')}.`,
  );
  return `${lines.join('\n')}\n`;
}
