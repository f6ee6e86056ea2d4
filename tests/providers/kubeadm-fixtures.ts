// Inputs for the kubeadm provider tests and a fake two-node cluster whose kubeadm and kubectl answer like the
// real ones (output formats from shared/reference/kubeadm.md §2).
import { opensslClusterCa } from "../kubeadm/openssl";
import { caCertHash } from "../../kubeadm/ca-hash";
import type { Connection } from "../../config/spec";
import type { KubeadmInitInputs, KubeadmInitOutputs } from "../../providers/master-node/inputs";
import type { KubeadmJoinInputs, KubeadmJoinOutputs } from "../../providers/worker-join/inputs";
import { readResetScript } from "../../providers/node/reset";
import { clusterSettings, nodeSettings } from "../../providers/node/settings";
import { clusterSpec, controlPlaneNode, workerNode } from "../kubeadm/cluster-spec-fixture";
import { answerNodeCommands, answerTokenCommands, CONTROL_PLANE_FILES, FakeHost } from "./kubeadm-fakes";

export const PRIVATE_KEY =
  "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n-----END OPENSSH PRIVATE KEY-----\n";

export const CA = opensslClusterCa("ecdsa");
export const OTHER_CA = opensslClusterCa("ecdsa");
export const CA_HASH = caCertHash(CA.certPem);

export function connection(host: string, overrides: Partial<Connection> = {}): Connection {
  return {
    host,
    port: 22,
    user: "root",
    privateKey: PRIVATE_KEY,
    sudo: false,
    insecureIgnoreHostKey: true,
    connectTimeoutSeconds: 5,
    commandTimeoutSeconds: 600,
    dialErrorLimit: 1,
    ...overrides,
  };
}

export const SPEC = clusterSpec("v1.35.4", { joinTokenTtl: "15m" });
export const MASTER = { ...controlPlaneNode("master01", "10.0.0.3"), connection: connection("10.0.0.3") };
export const WORKER = { ...workerNode("worker01", "10.0.0.4"), connection: connection("10.0.0.4") };

export function initInputs(overrides: Partial<KubeadmInitInputs> = {}): KubeadmInitInputs {
  return {
    connection: MASTER.connection,
    node: nodeSettings(MASTER),
    cluster: clusterSettings(SPEC),
    caCertPem: CA.certPem,
    caKeyPem: CA.keyPem,
    resetScript: readResetScript(),
    ...overrides,
  };
}

export const KUBECONFIG = `apiVersion: v1\nkind: Config\nclusters:\n- cluster:\n    certificate-authority-data: ${Buffer.from(CA.certPem).toString("base64")}\n    server: https://10.0.0.3:6443\n  name: kubernetes\nusers:\n- name: kubernetes-admin\n  user:\n    client-key-data: c2VjcmV0LWNsaWVudC1rZXktbWF0ZXJpYWwtZm9yLXRlc3Rz\n`;

export function initOutputs(overrides: Partial<KubeadmInitOutputs> = {}): KubeadmInitOutputs {
  return {
    ...initInputs(),
    apiEndpoint: SPEC.controlPlaneEndpoint,
    kubeconfig: KUBECONFIG,
    caCertHash: CA_HASH,
    bootstrapToken: "fxtok1.fixturesecret001",
    ...overrides,
  };
}

export function joinInputs(overrides: Partial<KubeadmJoinInputs> = {}): KubeadmJoinInputs {
  return {
    connection: WORKER.connection,
    controlPlane: { name: MASTER.name, connection: MASTER.connection },
    node: nodeSettings(WORKER),
    cluster: clusterSettings(SPEC),
    apiEndpoint: SPEC.controlPlaneEndpoint,
    caCertHash: CA_HASH,
    resetScript: readResetScript(),
    ...overrides,
  };
}

export function joinOutputs(overrides: Partial<KubeadmJoinOutputs> = {}): KubeadmJoinOutputs {
  return { ...joinInputs(), nodeName: WORKER.name, joinedAt: "2026-01-01T00:00:00.000Z", ...overrides };
}

/** The join command kubeadm init prints, with this token (which must be masked wherever it is shown). */
function initOutput(token: string): string {
  return [
    "[init] Using Kubernetes version: v1.35.4",
    "[preflight] Running pre-flight checks",
    "[certs] Using existing ca certificate authority",
    `[bootstrap-token] Using token: ${token}`,
    "Your Kubernetes control-plane has initialized successfully!",
    `kubeadm join 10.0.0.3:6443 --token ${token} \\`,
    `\t--discovery-token-ca-cert-hash ${CA_HASH} `,
  ].join("\n");
}

/**
 * A control plane and a worker whose kubeadm/kubectl behave like a small cluster: init writes kubeadm's files
 * and registers the master's Node, token create mints tokens, join writes kubelet.conf and registers the
 * worker's Node, drain and delete act on the set of Nodes.
 */
export class FakeCluster {
  readonly master = new FakeHost("master01", "10.0.0.3");
  readonly worker = new FakeHost("worker01", "10.0.0.4");
  readonly nodes = new Set<string>();
  readonly tokens = new Set<string>();
  /** Every token minted, also after deletion. */
  readonly minted: string[] = [];

  constructor() {
    const { master, worker } = this;
    master.on(/^'kubeadm' 'init'/, (_command, host) => {
      const config = host.files.get("/etc/kubernetes/pulumi-kubeadm/init.yaml") ?? "";
      const token = /token: "?([a-z0-9]{6}\.[a-z0-9]{16})/.exec(config)?.[1] ?? "";
      for (const path of CONTROL_PLANE_FILES) host.files.set(path, path.endsWith("admin.conf") ? KUBECONFIG : "x");
      this.nodes.add(MASTER.name);
      return { stdout: initOutput(token) };
    });
    answerTokenCommands(master, this.tokens, this.minted);
    answerNodeCommands(master, this.nodes, { tier: "app" });
    worker.on(/^'kubeadm' 'join'/, (_command, host) => {
      const config = host.files.get("/etc/kubernetes/pulumi-kubeadm/join.yaml") ?? "";
      const token = /token: "?([a-z0-9]{6}\.[a-z0-9]{16})/.exec(config)?.[1] ?? "";
      if (!this.tokens.has(token)) {
        return {
          code: 1,
          stderr: `error execution phase preflight: couldn't validate the identity of the API Server: token ${token} unknown\n`,
        };
      }
      host.files.set("/etc/kubernetes/kubelet.conf", "x");
      host.files.set("/etc/kubernetes/pki/ca.crt", CA.certPem);
      host.files.set("/var/lib/kubelet/config.yaml", "x");
      this.nodes.add(WORKER.name);
      return { stdout: "This node has joined the cluster:\n" };
    });
  }

  hosts(): FakeHost[] {
    return [this.master, this.worker];
  }

  /** The master as `kubeadm init` with CA leaves it. */
  initialised(ca = CA.certPem): this {
    for (const path of CONTROL_PLANE_FILES) {
      this.master.files.set(path, path.endsWith("admin.conf") ? KUBECONFIG : "x");
    }
    this.master.files.set("/etc/kubernetes/pki/ca.crt", ca);
    this.nodes.add(MASTER.name);
    return this;
  }

  /** The worker as a finished join leaves it. */
  joined(ca = CA.certPem): this {
    this.worker.files.set("/etc/kubernetes/kubelet.conf", "x");
    this.worker.files.set("/etc/kubernetes/pki/ca.crt", ca);
    this.worker.files.set("/var/lib/kubelet/config.yaml", "x");
    this.nodes.add(WORKER.name);
    return this;
  }
}
