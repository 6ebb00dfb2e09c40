import { describe, expect, it } from 'vitest';
import { checkChartArgs } from './helm';

const chart = {
  chart: 'cert-manager',
  version: 'v1.21.2',
  repo: 'https://charts.jetstack.io',
  namespace: 'cert-manager',
  values: {},
};

describe('helm wrapper', () => {
  it('accepts a chart pinned to an exact version from an https repository', () => {
    expect(checkChartArgs(chart)).toBe(chart);
  });

  it('refuses ranges, latest and plain-http repositories', () => {
    expect(() => checkChartArgs({ ...chart, version: '^1.19' })).toThrow(
      /pinned to an exact version, got "\^1.19"/,
    );
    expect(() => checkChartArgs({ ...chart, version: 'latest' })).toThrow(/exact version/);
    expect(() => checkChartArgs({ ...chart, repo: 'http://charts.jetstack.io' })).toThrow(
      /https:\/\/ or oci:\/\//,
    );
  });
});
