// The one way this program installs Helm charts, so tests and offline tools see chart, version, values.
import * as k8s from '@pulumi/kubernetes';
import type * as pulumi from '@pulumi/pulumi';

export interface HelmChartArgs {
  chart: string;
  /** Exact chart version: charts are pinned like images. */
  version: string;
  repo: string;
  namespace: string;
  values: pulumi.Input<Record<string, unknown>>;
  createNamespace?: boolean;
  /** Helm release name; defaults to the chart name. */
  releaseName?: string;
}

const exactVersion = /^v?\d+\.\d+\.\d+$/;

export function checkChartArgs(args: HelmChartArgs): HelmChartArgs {
  if (!exactVersion.test(args.version)) {
    throw new Error(`chart ${args.chart} must be pinned to an exact version, got "${args.version}"`);
  }
  if (!/^(https|oci):\/\//.test(args.repo)) {
    throw new Error(`chart ${args.chart} repository must be an https:// or oci:// URL, got "${args.repo}"`);
  }
  return args;
}

/** A `helm.v3.Release`: Helm manages CRDs and hooks, and `pulumi up` waits for the release. */
export function helmChart(
  name: string,
  args: HelmChartArgs,
  opts: pulumi.CustomResourceOptions,
): k8s.helm.v3.Release {
  const checked = checkChartArgs(args);
  return new k8s.helm.v3.Release(
    name,
    {
      name: checked.releaseName ?? checked.chart,
      chart: checked.chart,
      version: checked.version,
      repositoryOpts: { repo: checked.repo },
      namespace: checked.namespace,
      createNamespace: checked.createNamespace ?? true,
      values: checked.values,
      atomic: true,
      timeout: 600,
    },
    opts,
  );
}
