// A fake HA cluster for the control-plane-join provider tests: three control-plane hosts whose kubeadm and
// kubectl answer like the real ones for what the provider runs (token create/delete, upload-certs with the
// key from its config, join --control-plane checking that key, the control-plane Node list, each member's
// /readyz, drain, delete node, reset with or without kubeadm's etcd warning).
import { parse } from "yaml";
import type {
  KubeadmControlPlaneJoinInputs,
  KubeadmControlPlaneJoinOutputs,
} from "../../providers/control-plane-join/inputs";
import { readResetScript } from "../../providers/node/reset";
import { clusterSettings, nodeSettings } from "../../providers/node/settings";
import { clusterSpec, controlPlaneNode } from "../kubeadm/cluster-spec-fixture";
import { answerNodeCommands, answerTokenCommands, CONTROL_PLANE_FILES, FakeHost } from "./kubeadm-fakes";
import { CA, CA_HASH, connection, KUBECONFIG } from "./kubeadm-fixtures";

export const HA_SPEC = clusterSpec("v1.35.4", {
  controlPlaneEndpoint: "192.0.2.100:6443",
  controlPlaneEndpointConfigured: true,
  joinTokenTtl: "15m",
});
const nodes = [
  { ...controlPlaneNode("cp1", "10.0.1.1"), connection: connection("10.0.1.1") },
  { ...controlPlaneNode("cp2", "10.0.1.2"), connection: connection("10.0.1.2") },
  { ...controlPlaneNode("cp3", "10.0.1.3"), connection: connection("10.0.1.3") },
];
export const [CP1, CP2, CP3] = nodes;

const UPLOAD_CERTS_CONFIG = "/etc/kubernetes/pulumi-kubeadm/upload-certs.yaml";
const JOIN_CONFIG = "/etc/kubernetes/pulumi-kubeadm/join.yaml";
export const ETCD_WARNING =
  "W0101 00:00:00.000000    4242 removeetcdmember.go:71] [reset] Failed to remove etcd member: etcdserver: " +
  "re-configuration failed due to not enough started members, please manually remove this etcd member using etcdctl";

export function cpJoinInputs(
  node = CP2,
  overrides: Partial<KubeadmControlPlaneJoinInputs> = {},
): KubeadmControlPlaneJoinInputs {
  return {
    connection: node.connection,
    controlPlanes: nodes
      .filter((other) => other.name !== node.name)
      .map((other) => ({ name: other.name, advertiseAddress: other.advertiseAddress, connection: other.connection })),
    node: nodeSettings(node),
    cluster: clusterSettings(HA_SPEC),
    apiEndpoint: HA_SPEC.controlPlaneEndpoint,
    caCertHash: CA_HASH,
    resetScript: readResetScript(),
    ...overrides,
  };
}

export function cpJoinOutputs(
  node = CP2,
  overrides: Partial<KubeadmControlPlaneJoinOutputs> = {},
): KubeadmControlPlaneJoinOutputs {
  return { ...cpJoinInputs(node), nodeName: node.name, joinedAt: "2026-01-01T00:00:00.000Z", ...overrides };
}

export class FakeHaCluster {
  readonly hosts = nodes.map((n) => new FakeHost(n.name, n.advertiseAddress));
  /** Control-plane Nodes registered in the cluster. */
  readonly nodes = new Set<string>();
  /** Nodes whose own API server does not answer /readyz. */
  readonly silent = new Set<string>();
  readonly tokens = new Set<string>();
  readonly minted: string[] = [];
  /** Certificate keys the kubeadm-certs Secret was uploaded with, in order; undefined once deleted. */
  readonly uploads: string[] = [];
  secretKey: string | undefined;
  /** What kubeadm reset prints on stderr (kubeadm's etcd warning, for instance). */
  resetStderr = "";
  /** The endpoint does not answer at all (no API server). */
  apiDown = false;

  constructor() {
    for (const host of this.hosts) this.wire(host);
  }

  host(name: string): FakeHost {
    return this.hosts.find((h) => h.name === name) as FakeHost;
  }

  /** The node as `kubeadm init` or a control-plane join leaves it. */
  controlPlane(name: string): this {
    const host = this.host(name);
    for (const path of CONTROL_PLANE_FILES) host.files.set(path, path.endsWith("admin.conf") ? KUBECONFIG : "x");
    host.files.set("/etc/kubernetes/pki/ca.crt", CA.certPem);
    this.nodes.add(name);
    return this;
  }

  private wire(host: FakeHost): void {
    host.on(/'get' '--raw=\/readyz'/, () => ({
      code: this.apiDown || !host.files.has("/etc/kubernetes/admin.conf") ? 1 : 0,
    }));
    answerTokenCommands(host, this.tokens, this.minted);
    host.on(/'kubeadm' 'init' 'phase' 'upload-certs'/, (_command, h) => {
      const config = parse((h.files.get(UPLOAD_CERTS_CONFIG) ?? "").split("---")[0]) as { certificateKey: string };
      this.secretKey = config.certificateKey;
      this.uploads.push(config.certificateKey);
      return {
        stdout:
          '[upload-certs] Storing the certificates in Secret "kubeadm-certs" in the "kube-system" Namespace\n' +
          `[upload-certs] Using certificate key:\n${config.certificateKey}\n`,
      };
    });
    host.on(/'kubectl' .*'delete' 'secret' 'kubeadm-certs'/, () => {
      this.secretKey = undefined;
      return { stdout: 'secret "kubeadm-certs" deleted\n' };
    });
    host.on(/^'kubeadm' 'join'/, (_command, h) => {
      const config = parse(h.files.get(JOIN_CONFIG) ?? "") as {
        discovery: { bootstrapToken: { token: string } };
        controlPlane?: { certificateKey: string };
      };
      if (!this.tokens.has(config.discovery.bootstrapToken.token)) {
        return {
          code: 1,
          stderr: "error execution phase preflight: couldn't validate the identity of the API Server\n",
        };
      }
      if (config.controlPlane?.certificateKey !== this.secretKey) {
        return {
          code: 1,
          stderr:
            "error: error execution phase control-plane-prepare/download-certs: error downloading certs: error " +
            "decoding secret data with provided key: cipher: message authentication failed\n",
        };
      }
      this.controlPlane(h.name);
      return { stdout: "This node has joined the cluster and a new control plane instance was created:\n" };
    });
    host.on(/'kubectl' .*'get' 'nodes' '-l'/, () => ({
      stdout: JSON.stringify({
        items: [...this.nodes].sort().map((name) => ({
          metadata: { name },
          status: { addresses: [{ type: "InternalIP", address: this.host(name).address }] },
        })),
      }),
    }));
    // The per-member probe: one `if kubectl --server https://<ip>:6443 ... then echo ok <name>` line each.
    host.on(/'--server' 'https:\/\//, (command) => ({
      stdout: [...command.matchAll(/'--server' 'https:\/\/([^:]+):6443'.*?'echo' 'ok' '([^']+)'/g)]
        .map(([, , name]) => (this.silent.has(name) || this.apiDown ? `down ${name}` : `ok ${name}`))
        .join("\n"),
    }));
    answerNodeCommands(host, this.nodes, {});
    host.on(/reset-node\.sh/, (_command, h) => {
      h.reset();
      return { stdout: "running kubeadm reset -f\nkubeadm reset done\n", stderr: this.resetStderr };
    });
  }
}
