// kube-vip's static Pod on a control-plane node (kubeadm/kube-vip-manifest.ts has the why of its content).
// The kubelet starts it as soon as the file is there and stops it when the file goes, so placing or removing
// the file is the whole deployment. The first node needs it before `kubeadm init` (the endpoint must answer
// during init); the others get it after their join, because `kubeadm join` refuses a non-empty manifests
// directory and does not need the virtual IP (the first node already holds it).
import {
  ADMIN_KUBECONFIG,
  KUBE_VIP_MANIFEST_PATH,
  renderKubeVipManifest,
  type KubeVipManifestOptions,
} from "../../kubeadm/kube-vip-manifest";
import { shellCommand, type RemoteSession } from "../../ssh";
import type { ClusterSettings } from "./settings";

/** The manifest for this cluster's settings, or undefined when kube-vip is off. */
export function kubeVipManifest(
  cluster: Pick<ClusterSettings, "kubeVip">,
  kubeconfig: KubeVipManifestOptions["kubeconfig"] = ADMIN_KUBECONFIG,
): string | undefined {
  const kubeVip = cluster.kubeVip;
  if (kubeVip === undefined) return undefined;
  return renderKubeVipManifest({ ...kubeVip, kubeconfig });
}

/** Writes kube-vip's manifest when kube-vip is on, removes it when it is off (a no-op if it was never there). */
export async function placeKubeVip(
  session: RemoteSession,
  cluster: Pick<ClusterSettings, "kubeVip">,
  kubeconfig: KubeVipManifestOptions["kubeconfig"] = ADMIN_KUBECONFIG,
): Promise<void> {
  const manifest = kubeVipManifest(cluster, kubeconfig);
  if (manifest === undefined) {
    await session.run(shellCommand(["rm", "-f", "--", KUBE_VIP_MANIFEST_PATH]), {
      summary: `rm -f ${KUBE_VIP_MANIFEST_PATH}`,
    });
    return;
  }
  await session.upload(KUBE_VIP_MANIFEST_PATH, manifest, { mode: 0o600 });
}
