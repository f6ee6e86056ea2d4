// The files the kubeadm providers put on hosts or read from them, and how.
//
// The cluster CA goes where kubeadm looks for an existing CA ("[certs] Using existing ca certificate
// authority"). kubeadm configs carry bootstrap tokens, so they are written 0600 into a directory of this
// project's own and removed once the step that needed them is done; the reset script removes the directory
// too, so a failed step never leaves a token behind.
import type { RemoteSession } from "../../ssh";
import { shellCommand } from "../../ssh";
import { KubeadmStepError } from "../shared/step-errors";

export const KUBERNETES_DIR = "/etc/kubernetes";
export const PKI_DIR = `${KUBERNETES_DIR}/pki`;
export const CA_CERT_PATH = `${PKI_DIR}/ca.crt`;
export const CA_KEY_PATH = `${PKI_DIR}/ca.key`;
export const APISERVER_CERT_PATH = `${PKI_DIR}/apiserver.crt`;
export const APISERVER_KEY_PATH = `${PKI_DIR}/apiserver.key`;
export const ADMIN_CONF_PATH = `${KUBERNETES_DIR}/admin.conf`;
export const KUBELET_CONF_PATH = `${KUBERNETES_DIR}/kubelet.conf`;
export const MANIFESTS_DIR = `${KUBERNETES_DIR}/manifests`;
export const APISERVER_MANIFEST_PATH = `${MANIFESTS_DIR}/kube-apiserver.yaml`;
/** This project's working directory on a host (removed by the reset script). */
export const WORK_DIR = `${KUBERNETES_DIR}/pulumi-kubeadm`;
export const INIT_CONFIG_PATH = `${WORK_DIR}/init.yaml`;
export const JOIN_CONFIG_PATH = `${WORK_DIR}/join.yaml`;
/** Where kubeadm writes the kubelet's command-line flags (KUBELET_KUBEADM_ARGS). */
export const KUBELET_FLAGS_PATH = "/var/lib/kubelet/kubeadm-flags.env";

/** Writes the cluster CA where kubeadm init picks it up instead of generating one. */
export async function uploadClusterCa(session: RemoteSession, certPem: string, keyPem: string): Promise<void> {
  await session.upload(CA_CERT_PATH, certPem, { mode: 0o644 });
  await session.upload(CA_KEY_PATH, keyPem, { mode: 0o600 });
}

/** A kubeadm config holds a bootstrap token (and sometimes a certificate key): readable by root only. */
export async function uploadKubeadmConfig(session: RemoteSession, path: string, content: string): Promise<void> {
  await session.upload(path, content, { mode: 0o600 });
}

export async function removeRemoteFile(session: RemoteSession, path: string): Promise<void> {
  await session.run(shellCommand(["rm", "-f", "--", path]), { summary: `rm -f ${path}` });
}

/** Compares certificates as PEM text, ignoring line endings and surrounding blank space. */
export function sameCertificate(a: string | undefined, b: string | undefined): boolean {
  if (a === undefined || b === undefined) return false;
  const normalise = (pem: string) => pem.replace(/\r\n?/g, "\n").trim();
  return normalise(a) === normalise(b);
}

/** Reads a file the step just wrote; its absence is an error naming host and file. */
export async function readRequiredFile(session: RemoteSession, path: string, step: string): Promise<string> {
  const content = await session.readFile(path);
  if (content === undefined) {
    throw new KubeadmStepError(session.target, step, `${step} on ${session.target}: ${path} is missing`);
  }
  return content;
}
