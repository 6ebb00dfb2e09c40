// YAML as every reader here understands it. kubectl, helm-controller and Go's YAML libraries still
// read YAML 1.1, where `off`, `no`, `y`, `0777` and `12:30` are booleans, octal and sexagesimal
// numbers; written for 1.1 they come out quoted, and a YAML 1.2 reader sees the same strings.
import { stringify } from 'yaml';

export function yamlText(value: unknown): string {
  return stringify(value, { version: '1.1', sortMapEntries: true, lineWidth: 0 });
}
