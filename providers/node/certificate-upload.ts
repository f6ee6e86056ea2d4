// The certificates every control-plane node shares (cluster CA, front-proxy CA, etcd CA, service-account
// keys) travel to a joining control-plane node through the kube-system/kubeadm-certs Secret, encrypted with a
// certificate key. kubeadm deletes that Secret two hours after the upload, so a key from `kubeadm init` is
// worthless for a node added a week later: every control-plane join mints a fresh key and re-uploads the
// certificates with it right before joining, on a control-plane node that has them, and deletes the Secret
// once the join is over. The key lives only in memory for that one join.
import { generateCertificateKey } from "../../kubeadm/token";
import { renderUploadCertsConfig } from "../../kubeadm/upload-certs-config";
import { shellCommand, type RemoteSession, type SecretMasker } from "../../ssh";
import type { ClusterSettings } from "./settings";
import type { ControlPlaneRef } from "./answering-control-plane";
import { kubectl } from "./kubectl";
import { renderTarget } from "./settings";
import { removeRemoteFile, uploadKubeadmConfig, WORK_DIR } from "./remote-files";
import { runStepCommand } from "../shared/step-errors";

export const UPLOAD_CERTS_CONFIG_PATH = `${WORK_DIR}/upload-certs.yaml`;
export const KUBEADM_CERTS_SECRET = "kubeadm-certs";

/** A certificate key for one control-plane join. */
export function mintCertificateKey(): string {
  return generateCertificateKey();
}

/**
 * `kubeadm init phase upload-certs --upload-certs` on `session` (a control-plane node), with the key in a
 * root-only config file rather than on the command line. Its output names the key; the session masks it.
 */
export async function uploadCertificates(
  session: RemoteSession,
  uploader: ControlPlaneRef,
  cluster: ClusterSettings,
  certificateKey: string,
  masker: SecretMasker,
): Promise<void> {
  const target = renderTarget(
    cluster,
    { name: uploader.name, role: "control-plane", advertiseAddress: uploader.advertiseAddress, labels: {} },
    uploader.connection,
  );
  await uploadKubeadmConfig(
    session,
    UPLOAD_CERTS_CONFIG_PATH,
    renderUploadCertsConfig(target.spec, target.node, certificateKey),
  );
  try {
    const command = shellCommand([
      "kubeadm",
      "init",
      "phase",
      "upload-certs",
      "--upload-certs",
      "--config",
      UPLOAD_CERTS_CONFIG_PATH,
    ]);
    await runStepCommand(session, command, {
      step: "upload-certs",
      summary: `kubeadm init phase upload-certs --config ${UPLOAD_CERTS_CONFIG_PATH}`,
      outcome: "Nothing was joined; `pulumi up` tries again.",
      masker,
    });
  } finally {
    await removeRemoteFile(session, UPLOAD_CERTS_CONFIG_PATH).catch(() => undefined);
  }
}

/** Deletes the kubeadm-certs Secret: the join that needed it is over (kubeadm would delete it after 2 hours). */
export async function deleteUploadedCertificates(session: RemoteSession): Promise<void> {
  await session.run(kubectl(["delete", "secret", KUBEADM_CERTS_SECRET, "-n", "kube-system", "--ignore-not-found"]), {
    streamOutput: false,
    summary: `kubectl delete secret ${KUBEADM_CERTS_SECRET}`,
  });
}
