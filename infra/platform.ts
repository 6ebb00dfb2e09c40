// The platform the stacks target: one supported k3s line and what it bundles. Moving off a release
// that has reached end of life is a bug fix; every version below is checked against its source.

/**
 * k3s v1.36.4+k3s1 (2026-08): Kubernetes v1.36.4, Traefik v3.7.8 from Traefik's Helm chart v40,
 * helm-controller v0.17.7. Source: https://github.com/k3s-io/k3s/releases/tag/v1.36.4%2Bk3s1
 * ("Embedded Component Versions").
 */
export const K3S_VERSION = 'v1.36.4+k3s1';
/** The image k3d starts (`+` is not allowed in an image tag, k3s publishes `-`). */
export const K3S_IMAGE = `rancher/k3s:${K3S_VERSION.replace('+', '-')}`;
export const KUBERNETES_VERSION = 'v1.36.4';
/** The Kubernetes minor, as Pod Security labels and the control-plane check name it. */
export const KUBERNETES_MINOR = 'v1.36';
/** Traefik as k3s v1.36.4 bundles it (image rancher/mirrored-library-traefik). */
export const TRAEFIK_VERSION = 'v3.7.8';
/** helm-controller in k3s v1.36.4: it owns the HelmChart / HelmChartConfig kinds (helm.cattle.io/v1). */
export const HELM_CONTROLLER_VERSION = 'v0.17.7';
