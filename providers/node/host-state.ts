// What kubeadm has left on a host, read in one round trip before every create, delete and refresh: the
// providers decide from it whether to adopt what is there (a re-run after an interruption), reset partial
// state first, or leave a host that belongs to another cluster alone.
import { caCertHash } from "../../kubeadm/ca-hash";
import type { RemoteSession } from "../../ssh";
import {
  ADMIN_CONF_PATH,
  APISERVER_MANIFEST_PATH,
  CA_CERT_PATH,
  KUBELET_CONF_PATH,
  MANIFESTS_DIR,
  PKI_DIR,
  sameCertificate,
  WORK_DIR,
} from "./remote-files";
import { KubeadmStepError } from "../shared/step-errors";
import { warn } from "../shared/step-reporter";

export interface HostState {
  kubeadmInstalled: boolean;
  /** A kubeadm init or join still ran when inspection gave up waiting for it (see RUNNING_KUBEADM_WAIT_SECONDS). */
  kubeadmRunning: boolean;
  adminConf: boolean;
  kubeletConf: boolean;
  apiserverManifest: boolean;
  /** Any kubeadm or CNI leftovers at all (files, etcd data, kubelet state, CNI config or links). */
  footprint: boolean;
  /** What made `footprint` true, for messages ("manifests, pki"). */
  footprintItems: string[];
  /** /etc/kubernetes/pki/ca.crt, when present. */
  caCertPem?: string;
}

/** Marks the inspection script, so test doubles can recognise it. */
export const INSPECT_MARKER = "# pulumi-kubeadm: inspect host";

/**
 * How long inspection waits for a kubeadm init or join that is still running on the host. A `pulumi up` that was
 * killed, or lost its connection, leaves the remote command running (nothing signals a command without a
 * terminal): deciding to adopt or reset while it still writes would race with it, so the host is inspected once
 * it is done.
 */
export const RUNNING_KUBEADM_WAIT_SECONDS = 300;
/** kubeadm init/join processes, by command line: the program itself, not the shells that started it. */
export const RUNNING_KUBEADM_PATTERN = "(^|/)kubeadm (init|join)( |$)";
const CA_MARKER = "--- ca.crt ---";

/** Leftovers that make a host "not clean": each name is printed as `name=yes|no`. */
const FOOTPRINT_CHECKS: [string, string][] = [
  ["manifests", `nonempty ${MANIFESTS_DIR}`],
  ["pki", `nonempty ${PKI_DIR}`],
  ["admin.conf", `test -e ${ADMIN_CONF_PATH}`],
  ["kubelet.conf", `test -e ${KUBELET_CONF_PATH}`],
  ["etcd-data", "nonempty /var/lib/etcd"],
  ["kubelet-state", "test -e /var/lib/kubelet/config.yaml"],
  ["pulumi-kubeadm-dir", `test -e ${WORK_DIR}`],
  ["cni-config", "nonempty /etc/cni/net.d"],
  ["cni-state", "nonempty /var/lib/cni"],
  ["cni-links", "cnilinks"],
];

/** The inspection script. Fixed text (no values from the inputs), read-only, safe to run anywhere. */
export function inspectScript(): string {
  return [
    INSPECT_MARKER,
    `nonempty() { [ -d "$1" ] && [ -n "$(ls -A "$1" 2>/dev/null)" ]; }`,
    "cnilinks() { test -e /sys/class/net/cni0 || test -e /sys/class/net/flannel.1; }",
    `yn() { if "$@"; then echo yes; else echo no; fi; }`,
    // The redirection belongs inside have(): on yn it would swallow the yes/no itself.
    `have() { command -v "$1" >/dev/null 2>&1; }`,
    `running() { have pgrep && pgrep -f '${RUNNING_KUBEADM_PATTERN}' >/dev/null 2>&1; }`,
    `waited=0; while running && [ "$waited" -lt ${RUNNING_KUBEADM_WAIT_SECONDS} ]; do sleep 1; waited=$((waited + 1)); done`,
    `echo "kubeadm-running=$(yn running)"`,
    `echo "kubeadm=$(yn have kubeadm)"`,
    `echo "admin.conf=$(yn test -e ${ADMIN_CONF_PATH})"`,
    `echo "kubelet.conf=$(yn test -e ${KUBELET_CONF_PATH})"`,
    `echo "apiserver-manifest=$(yn test -e ${APISERVER_MANIFEST_PATH})"`,
    ...FOOTPRINT_CHECKS.map(([name, test]) => `echo "footprint.${name}=$(yn ${test})"`),
    `if [ -f ${CA_CERT_PATH} ]; then echo '${CA_MARKER}'; cat ${CA_CERT_PATH}; fi`,
  ].join("\n");
}

export function parseHostState(output: string): HostState {
  const markerAt = output.indexOf(`${CA_MARKER}\n`);
  const head = markerAt >= 0 ? output.slice(0, markerAt) : output;
  const values = new Map<string, string>();
  for (const line of head.split("\n")) {
    const equals = line.indexOf("=");
    if (equals > 0) values.set(line.slice(0, equals).trim(), line.slice(equals + 1).trim());
  }
  if (!values.has("kubeadm")) {
    throw new Error("host inspection printed no results (is /bin/sh a POSIX shell?)");
  }
  const yes = (key: string) => values.get(key) === "yes";
  const footprintItems = FOOTPRINT_CHECKS.map(([name]) => name).filter((name) => yes(`footprint.${name}`));
  const state: HostState = {
    kubeadmInstalled: yes("kubeadm"),
    kubeadmRunning: yes("kubeadm-running"),
    adminConf: yes("admin.conf"),
    kubeletConf: yes("kubelet.conf"),
    apiserverManifest: yes("apiserver-manifest"),
    footprint: footprintItems.length > 0,
    footprintItems,
  };
  if (markerAt >= 0) state.caCertPem = output.slice(markerAt + CA_MARKER.length + 1);
  return state;
}

export async function inspectHost(session: RemoteSession): Promise<HostState> {
  const result = await session.run(inspectScript(), {
    streamOutput: false,
    summary: "inspect kubeadm state",
    timeoutSeconds: RUNNING_KUBEADM_WAIT_SECONDS + 60,
  });
  const state = parseHostState(result.stdout);
  if (state.kubeadmRunning) {
    throw new KubeadmStepError(
      session.target,
      "inspect",
      `a kubeadm init or join is still running on ${session.target} after ${RUNNING_KUBEADM_WAIT_SECONDS}s ` +
        "(left by an interrupted run?): let it finish or stop it (pgrep -af kubeadm), then run pulumi up again",
    );
  }
  return state;
}

export function requireKubeadm(state: HostState, target: string, step: string): void {
  if (!state.kubeadmInstalled) {
    throw new KubeadmStepError(
      target,
      step,
      `${step} cannot run on ${target}: kubeadm is not installed (host preparation has not run or failed there)`,
    );
  }
}

/** The CA hash of a PEM read from a host; undefined when it is not a certificate. */
export function hashOfPem(pem: string | undefined): string | undefined {
  if (pem === undefined) return undefined;
  try {
    return caCertHash(pem);
  } catch {
    return undefined;
  }
}

/** How a resource knows its cluster's CA: the first control plane has the certificate, joins pin its hash. */
export type ClusterCaIdentity = { caCertPem: string } | { caCertHash: string };

/** Whose kubeadm state a host holds, by its ca.crt: none (no ca.crt), this cluster's, or another cluster's. */
export function hostCluster(state: HostState, ca: ClusterCaIdentity): "none" | "ours" | "foreign" {
  if (state.caCertPem === undefined) return "none";
  const ours =
    "caCertPem" in ca ? sameCertificate(state.caCertPem, ca.caCertPem) : hashOfPem(state.caCertPem) === ca.caCertHash;
  return ours ? "ours" : "foreign";
}

/** The warning a create gives before it resets a host that another cluster's kubeadm set up. */
export function warnResettingForeign(node: string, target: string): void {
  warn(node, `${target} holds kubeadm state of another cluster (its ca.crt is not this cluster's CA): resetting it`);
}
