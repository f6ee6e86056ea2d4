// The validated configuration with every default applied: what components and providers consume.
// Produced by resolve.ts from a ClusterConfigInput that validate.ts accepted.
import type { Bastion, ExtraArgs } from "./schema";

/**
 * How to reach one host over SSH. Shaped like @pulumi/command's remote.ConnectionArgs
 * (host, port, user, privateKey, privateKeyPassword, password, agentSocketPath, proxy, dialErrorLimit)
 * so one value can configure remote commands and this project's dynamic providers alike.
 */
export interface Connection {
  host: string;
  port: number;
  user: string;
  privateKey?: string;
  privateKeyPassword?: string;
  password?: string;
  agentSocketPath?: string;
  /** Jump host, as @pulumi/command's `proxy`. */
  proxy?: Omit<Connection, "proxy" | "sudo" | "commandTimeoutSeconds">;
  /** Run commands through `sudo -n` (non-root users). */
  sudo: boolean;
  /** Pinned host key ("ssh-ed25519 AAAA...") or fingerprint ("SHA256:..."). */
  hostKey?: string;
  knownHostsFile?: string;
  insecureIgnoreHostKey: boolean;
  connectTimeoutSeconds: number;
  commandTimeoutSeconds: number;
  /** Connection attempts before giving up (only connection failures are retried). */
  dialErrorLimit: number;
  /**
   * The config key each setting was read from (`privateKey: "workers[0].privateKeyFile"`, `user: "ssh.user"`), or
   * for a setting made nowhere the host's own key, where it would go: a message can say what to change, whichever
   * level of the config set it. Key paths only, never values. Absent from connections stored by earlier versions.
   */
  sources?: ConnectionSources;
}

/** The connection settings messages name the config key of: the address, the port, the credentials, the pins. */
export type ConnectionSetting =
  | "host"
  | "port"
  | "user"
  | "privateKey"
  | "privateKeyPassword"
  | "password"
  | "agentSocketPath"
  | "hostKey"
  | "knownHostsFile"
  | "insecureIgnoreHostKey"
  | "commandTimeoutSeconds";

export type ConnectionSources = Partial<Record<ConnectionSetting, string>>;

/**
 * The key that sets each connection setting inside `ssh`, a host or a bastion (the field names differ from
 * @pulumi/command's). privateKey may be given as privateKeyFile instead; the sources say which one was.
 */
export const SETTING_KEYS = {
  host: "address",
  port: "port",
  user: "user",
  privateKey: "privateKey",
  privateKeyPassword: "privateKeyPassword",
  password: "password",
  agentSocketPath: "agentSocket",
  hostKey: "hostKey",
  knownHostsFile: "knownHostsFile",
  insecureIgnoreHostKey: "insecureIgnoreHostKey",
  commandTimeoutSeconds: "commandTimeoutSeconds",
} as const satisfies Record<ConnectionSetting, keyof Bastion>;

/** The PEMs of a CA brought by the user. */
export interface SuppliedCa {
  certPem: string;
  /** Secret. */
  keyPem: string;
}

export interface NodeSpec {
  name: string;
  role: "control-plane" | "worker";
  /** Address the node advertises to the cluster (advertiseAddress, or the SSH address). */
  advertiseAddress: string;
  labels: Record<string, string>;
  connection: Connection;
}

export interface ClusterSpec {
  /** Normalised with a leading "v", e.g. "v1.35.4". */
  kubernetesVersion: string;
  controlPlane: NodeSpec[];
  workers: NodeSpec[];
  /** "host:port"; the first control-plane node's advertiseAddress:6443 when not configured. */
  controlPlaneEndpoint: string;
  /** True when the user configured controlPlaneEndpoint (HA-ready). */
  controlPlaneEndpointConfigured: boolean;
  /** Present when kube-vip holds the endpoint's IP (kubeVip.enabled); absent for a user's own load balancer. */
  kubeVip?: {
    /** The virtual IP: controlPlaneEndpoint's host. */
    address: string;
    interface: string;
    /** With addons.imageMirror applied. */
    image: string;
  };
  podSubnet: string;
  serviceSubnet: string;
  dnsDomain: string;
  imageRepository: string;
  packages: {
    apt: { kubernetesRepository: string; kubernetesKeyUrl: string; containerdRepository?: string };
    yum: { kubernetesRepository: string; kubernetesKeyUrl: string; containerdRepository?: string };
    kubernetesPackageVersion?: string;
    containerdPackageVersion?: string;
  };
  containerd: {
    registryMirrors: Record<string, string[]>;
    sandboxImage: string;
    /** containerd's CRI restrict_oom_score_adj: hosts whose bounding set lacks CAP_SYS_RESOURCE. */
    restrictOomScoreAdj: boolean;
  };
  apiServer: { extraArgs: ExtraArgs; certSANs: string[] };
  controllerManager: { extraArgs: ExtraArgs };
  scheduler: { extraArgs: ExtraArgs };
  kubelet: {
    extraArgs: ExtraArgs;
    /** Hosts on cgroup v1: the kubelet's failCgroupV1 off and kubeadm's SystemVerification check ignored. */
    allowCgroupV1: boolean;
  };
  /**
   * What the host preparation does about the RHEL family's security: SELinux set permissive (now and in
   * /etc/selinux/config) and the node's ports opened in firewalld, both undone on destroy; "keep" leaves each to the
   * user's own policy, and the preflight then refuses a host where it would stop kubeadm.
   */
  hostPrep: { selinux: "permissive" | "keep"; firewalld: "openPorts" | "keep" };
  /** kube-proxy's conntrack.maxPerCore, when set (kubeadm's KubeProxyConfiguration; read at `kubeadm init`). */
  kubeProxy: { conntrackMaxPerCore?: number };
  schedulableControlPlane: boolean;
  clusterCa: {
    keyType: "rsa" | "ecdsa";
    rsaBits: 2048 | 3072 | 4096;
    validityDays: number;
    /**
     * A CA the user brought (clusterCa.certPem/keyPem or certFile/keyFile, files read here), used instead of a
     * generated one; absent when the program generates the CA. keyPem is a credential: keep it secret.
     */
    supplied?: SuppliedCa;
  };
  joinTokenTtl: string;
  drain: { force: boolean; timeoutSeconds: number };
  certificates: { renewBeforeDays: number };
  etcdSnapshots: { beforeChanges: boolean; keep: number };
  upgrade: { workersAtOnce: number };
  addons: {
    imageMirror?: string;
    /** false: `up` does not wait for the add-ons' workloads to be ready (pulumi.com/skipAwait on them). */
    waitForRollout: boolean;
    flannel: { enabled: boolean; backend: "vxlan" | "host-gw" | "wireguard" };
    dashboard: { enabled: boolean; ui: "dashboard" | "headlamp" };
    rookCeph: {
      enabled: boolean;
      devices: string[];
      useAllDevices: boolean;
      dataDirHostPath: string;
      defaultStorageClass: boolean;
    };
  };
}
