// Waivers in Checkov's own format, for the scanner findings that do not fit this deployment. Checkov
// reads any `checkov.io/skip<N>` annotation of an object as `<CHECK_ID>=<comment>` and splits on
// `=` (checkov/kubernetes/kubernetes_utils.py get_skipped_checks), so a reason must not contain one.

export interface ScannerWaiver {
  check: `CKV_K8S_${number}`;
  reason: string;
}

/** The reasons shared by several workloads. */
export const WAIVERS = {
  pullPolicy: {
    check: 'CKV_K8S_15',
    reason:
      'images are imported into the k3d node (npm run images) or pinned by digest; Always would make every start need a registry and breaks imported images',
  },
  localImageDigest: {
    check: 'CKV_K8S_43',
    reason:
      'built locally and imported into k3d, never pushed: no registry digest exists; the tag carries a hash of the build inputs',
  },
  jumpwireDigest: {
    check: 'CKV_K8S_43',
    reason:
      'the ghcr.io digest of jumpwire 4.0.0 could not be read where this was written: pinned by tag in infra/images/Dockerfile until it is added',
  },
  jumpwireEnvSecrets: {
    check: 'CKV_K8S_35',
    reason:
      'JumpWire 4.0.0 reads its root token, encryption key and Erlang cookie only from the environment (config/runtime.exs); they come from a Secret, never literals',
  },
  jumpwireUid: {
    check: 'CKV_K8S_40',
    reason:
      'the image entrypoint runs as its own jumpwire user, uid 1000, or tries sudo (release/entrypoint.sh)',
  },
  postgresUid: {
    check: 'CKV_K8S_40',
    reason:
      'the official image owns its data and socket as postgres, uid 70, and the roles container logs in by peer as that user',
  },
} as const satisfies Record<string, ScannerWaiver>;

/** `checkov.io/skip1..n` annotations for the waivers, each checked to read as Checkov parses it. */
export function checkovAnnotations(waivers: readonly ScannerWaiver[]): Record<string, string> {
  const annotations: Record<string, string> = {};
  waivers.forEach((waiver, index) => {
    if (!/^CKV_K8S_\d+$/.test(waiver.check))
      throw new Error(`not a Checkov Kubernetes check: ${waiver.check}`);
    if (waiver.reason.trim() === '' || waiver.reason.includes('=')) {
      throw new Error(`the waiver of ${waiver.check} needs a reason without "=" (Checkov splits on it)`);
    }
    annotations[`checkov.io/skip${index + 1}`] = `${waiver.check}=${waiver.reason}`;
  });
  return annotations;
}
