// What the engine driver reads from build.sh and from the engine's results.
import { describe, expect, it } from 'vitest';
import { changesNothing, describeChanges, oneLine, parseUnavailable } from './automation';

describe('parseUnavailable', () => {
  it("reads each plugin's command and the command's answer, however many lines it has", () => {
    const text = [
      'random 4.21.2: go list -m -versions github.com/pulumi/pulumi-random/provider/v4',
      'go: module github.com/pulumi/pulumi-random/provider/v4: reading https://proxy.golang.org/...: 403 Forbidden',
      '\tserver response: This module version is not available.',
      'tls 5.6.1: go list -m -versions github.com/pulumi/pulumi-tls/provider/v5',
      'go: ... 403 Forbidden',
      '',
    ].join('\n');
    expect(parseUnavailable(text)).toEqual([
      {
        name: 'random',
        version: '4.21.2',
        command: 'go list -m -versions github.com/pulumi/pulumi-random/provider/v4',
        answer:
          'go: module github.com/pulumi/pulumi-random/provider/v4: reading https://proxy.golang.org/...: 403 Forbidden server response: This module version is not available.',
      },
      {
        name: 'tls',
        version: '5.6.1',
        command: 'go list -m -versions github.com/pulumi/pulumi-tls/provider/v5',
        answer: 'go: ... 403 Forbidden',
      },
    ]);
  });
});

describe('changesNothing', () => {
  it('accepts only unchanged resources and reads (Resource.get)', () => {
    expect(changesNothing({ same: 29, read: 1 })).toBe(true);
    expect(changesNothing({ same: 29, update: 0 })).toBe(true);
    expect(changesNothing({ same: 28, update: 1 })).toBe(false);
    expect(describeChanges({ create: 2, same: 0 })).toBe('2 create');
    expect(describeChanges({})).toBe('nothing');
  });
});

describe('oneLine', () => {
  it("picks the engine's error line out of the Automation API's CommandError text", () => {
    const message = [
      'code: 255',
      ' stdout: ',
      ' stderr: Command failed with exit code 255: pulumi up --yes',
      'error: unable to open state directory "file:///x": no such file or directory',
      '',
    ].join('\n');
    expect(oneLine(new Error(message))).toBe(
      'error: unable to open state directory "file:///x": no such file or directory',
    );
  });
});
