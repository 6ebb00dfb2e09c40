// `kubectl apply -f out/<stack>/<file>.yaml` must mean what the program meant: kubectl reads YAML 1.1,
// where an unquoted `off` is false (the start stack's SECURITY_HEADERS once was).
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { renderFiles } from './render';
import { synthesize } from './synth';

describe('rendered YAML', async () => {
  const stacks = await Promise.all(['start', 'step3', 'end', 'addons'].map((stack) => synthesize({ stack })));

  it.each(stacks.map((result) => [result.stack, result] as const))(
    '%s: every file reads the same in YAML 1.1 (kubectl) and YAML 1.2',
    (_stack, result) => {
      const files = [...renderFiles(result).entries()].filter(([file]) => file.endsWith('.yaml'));
      expect(files.length).toBeGreaterThan(3);
      for (const [file, text] of files) {
        expect(parse(text, { version: '1.1' }), file).toEqual(parse(text, { version: '1.2' }));
      }
    },
  );

  it('keeps the start stack SECURITY_HEADERS a string', () => {
    const start = stacks.find((result) => result.stack === 'start')!;
    const text = renderFiles(start).get('deployment-workshop-start-api.yaml')!;
    expect(text).toContain('value: "off"');
    const env = (
      parse(text, { version: '1.1' }) as {
        spec: { template: { spec: { containers: { env: { name: string; value?: unknown }[] }[] } } };
      }
    ).spec.template.spec.containers[0]!.env;
    expect(env.find((entry) => entry.name === 'SECURITY_HEADERS')?.value).toBe('off');
  });
});
