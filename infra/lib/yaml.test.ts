import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { yamlText } from './yaml';

describe('yamlText', () => {
  const tricky = {
    SECURITY_HEADERS: 'off',
    flags: ['on', 'yes', 'no', 'y', 'N', 'true', '~', 'null'],
    mode: '0777',
    time: '12:30',
    big: '1_000',
    hex: '0x1F',
    date: '2016-12-31',
    number: 8443,
    enabled: false,
  };

  it('means the same to a YAML 1.1 reader (kubectl) and to a YAML 1.2 reader', () => {
    const text = yamlText(tricky);
    expect(text).toContain('SECURITY_HEADERS: "off"');
    expect(parse(text, { version: '1.1' })).toEqual(tricky);
    expect(parse(text, { version: '1.2' })).toEqual(tricky);
  });

  it('would not without it: plain YAML 1.2 output turns strings into 1.1 booleans', () => {
    const plain = parse(JSON.stringify(tricky)) as typeof tricky;
    const naive = stringify(plain);
    expect(parse(naive, { version: '1.1' })).not.toEqual(tricky);
  });
});
