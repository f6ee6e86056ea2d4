// The shape of a stack's configuration: every key the program reads, its type and default.
// Names follow kubeadm's own (kubernetesVersion, podSubnet, imageRepository, extraArgs...) so that
// a kubeadm user recognises them. Cross-field rules (overlapping CIDRs, duplicate hosts, version
// support) live in validate.ts; this file only says what each key may hold.
import { z } from "zod";
import { hasControlCharacter, shownValue } from "./problem";

/** The Kubernetes version the toolchain, the lab and the defaults are built and tested against. */
export const DEFAULT_KUBERNETES_VERSION = "v1.35.4";

const port = z.number().int().min(1).max(65535);
const nonEmpty = z.string().min(1);

const LINE_BREAK = /[\n\r\u0085\u2028\u2029]/;

/** What in `text` would break it out of the one word or one line it is written as; undefined when nothing. */
function breakingCharacter(text: string, spacesAllowed: boolean): string | undefined {
  if (LINE_BREAK.test(text)) return "a line break";
  if (hasControlCharacter(text)) return "a control character";
  if (!spacesAllowed && /\s/.test(text)) return "whitespace";
  return undefined;
}

/** `base` refusing what would break a value out of its word or line; `why` ends the message with the fix. */
function unbroken(base: z.ZodString, spacesAllowed: boolean, why: string) {
  return base.refine((text) => breakingCharacter(text, spacesAllowed) === undefined, {
    error: (issue) => {
      const text = String(issue.input);
      return `${shownValue(text)} contains ${breakingCharacter(text, spacesAllowed)}: ${why}`;
    },
  });
}

// Values written on the hosts as one word of a command line or one line of a file (flags, URLs, paths, names,
// versions): a space splits the word, a line break adds a line (`gpgcheck=0` in a .repo file, a flag in
// kubeadm-flags.env). Refused here, before anything runs, rather than quoted into something the user did not mean.
const word = unbroken(
  nonEmpty,
  false,
  "it is written on the hosts as one word (a flag value, URL, path or name); remove it",
);
/** A flag value for extraArgs: may be empty (`--flag=`). */
const flagValue = unbroken(
  z.string(),
  false,
  "a flag value must be one word (kubeadm-flags.env splits the kubelet's at spaces); a flag that takes a list " +
    "separates its items with commas",
);
// Paths on the machine running Pulumi may hold spaces (a home directory), never a line break.
const localPath = unbroken(nonEmpty, true, "remove it");

/** SSH settings that may be given once for all hosts and overridden per host. */
export const sshSettings = z.strictObject({
  user: word.optional().describe("login user; root by default"),
  port: port.optional().describe("SSH port; 22 by default"),
  privateKey: nonEmpty.optional().describe("PEM/OpenSSH private key (set it with --secret)"),
  privateKeyFile: localPath
    .optional()
    .describe(
      "path of a private key file on the machine running Pulumi (~ is the home directory, relative paths start " +
        "at the project directory); read at deployment instead of privateKey",
    ),
  privateKeyPassword: nonEmpty.optional().describe("passphrase of the private key (secret)"),
  password: nonEmpty.optional().describe("login password (secret); keys are preferred"),
  agentSocket: localPath.optional().describe("path of an ssh-agent socket, e.g. $SSH_AUTH_SOCK"),
  sudo: z.boolean().optional().describe("run remote commands through sudo -n; on by default for non-root users"),
  hostKey: nonEmpty
    .optional()
    .describe('pinned host key, as in known_hosts: "ssh-ed25519 AAAA..." or "SHA256:..." fingerprint'),
  knownHostsFile: localPath.optional().describe("known_hosts file used when no hostKey is pinned"),
  insecureIgnoreHostKey: z.boolean().optional().describe("turn host-key verification off (not recommended)"),
  connectTimeoutSeconds: z.number().int().min(1).max(3600).optional(),
  commandTimeoutSeconds: z.number().int().min(1).max(86400).optional(),
});
export type SshSettings = z.infer<typeof sshSettings>;

export const bastion = sshSettings.extend({
  address: word.describe("bastion (jump host) address"),
});
export type Bastion = z.infer<typeof bastion>;

export const host = sshSettings.extend({
  name: nonEmpty.describe("node name, as registered in Kubernetes (nodeRegistration.name)"),
  address: word.describe("address used for SSH and, unless advertiseAddress is set, for the API server"),
  advertiseAddress: word.optional().describe("address the node advertises inside the cluster"),
  bastion: bastion.optional(),
  labels: z.record(z.string(), z.string()).optional(),
});
export type Host = z.infer<typeof host>;

/** Flag name (without leading dashes) to value, as in the seed's kubeadm.yaml. */
export const extraArgs = z.record(z.string(), flagValue);
export type ExtraArgs = z.infer<typeof extraArgs>;

export const component = z.strictObject({
  extraArgs: extraArgs.optional(),
});

export const packageMirrors = z.strictObject({
  apt: z
    .strictObject({
      kubernetesRepository: word.optional().describe("deb repository base URL for kubeadm/kubelet/kubectl"),
      kubernetesKeyUrl: word.optional().describe("URL of the repository's Release.key"),
      containerdRepository: word.optional().describe("deb repository for containerd; the distribution's by default"),
    })
    .optional(),
  yum: z
    .strictObject({
      kubernetesRepository: word.optional().describe("rpm repository base URL for kubeadm/kubelet/kubectl"),
      kubernetesKeyUrl: word.optional(),
      containerdRepository: word.optional().describe("rpm repository for containerd.io"),
    })
    .optional(),
  kubernetesPackageVersion: word
    .optional()
    .describe("package version, e.g. 1.35.4-1.1; from kubernetesVersion by default"),
  containerdPackageVersion: word.optional(),
});

export const containerd = z.strictObject({
  registryMirrors: z
    .record(z.string(), z.array(word))
    .optional()
    .describe('registry host to mirror endpoints, e.g. {"docker.io": ["https://mirror.example"]}'),
  sandboxImage: word.optional().describe("pause image; <imageRepository>/pause:<version> by default"),
  restrictOomScoreAdj: z
    .boolean()
    .optional()
    .describe("keep containers' oom_score_adj at or above containerd's own, for hosts without CAP_SYS_RESOURCE"),
});

export const kubelet = component.extend({
  allowCgroupV1: z
    .boolean()
    .optional()
    .describe(
      "run on hosts that only offer cgroup v1 (kubelet failCgroupV1: false, kubeadm SystemVerification ignored)",
    ),
});

export const kubeProxy = z.strictObject({
  conntrackMaxPerCore: z
    .number()
    .int()
    .min(0)
    .optional()
    .describe("conntrack entries per CPU kube-proxy sets; 0 leaves the kernel's limit (hosts where it is read-only)"),
});

export const hostPrep = z.strictObject({
  selinux: z
    .enum(["permissive", "keep"])
    .optional()
    .describe(
      "permissive: SELinux set permissive now and in /etc/selinux/config (undone on destroy); keep: left as it is",
    ),
  firewalld: z
    .enum(["openPorts", "keep"])
    .optional()
    .describe("openPorts: the node's ports opened when firewalld runs (undone on destroy); keep: left as it is"),
});

export const flannel = z.strictObject({
  enabled: z.boolean().optional(),
  backend: z.enum(["vxlan", "host-gw", "wireguard"]).optional(),
});

export const dashboard = z.strictObject({
  enabled: z.boolean().optional(),
  ui: z.enum(["dashboard", "headlamp"]).optional(),
});

export const rookCeph = z.strictObject({
  enabled: z.boolean().optional(),
  devices: z.array(word).optional().describe("raw devices for OSDs, e.g. [sdb]; all unused devices when empty"),
  useAllDevices: z.boolean().optional(),
  dataDirHostPath: word.optional(),
  defaultStorageClass: z.boolean().optional(),
});

export const addons = z.strictObject({
  imageMirror: word.optional().describe("registry that replaces every addon image's registry"),
  waitForRollout: z
    .boolean()
    .optional()
    .describe("wait for the add-ons' workloads, Services and Jobs to have running Pods (default true)"),
  flannel: flannel.optional(),
  dashboard: dashboard.optional(),
  rookCeph: rookCeph.optional(),
});

export const clusterCa = z.strictObject({
  keyType: z.enum(["rsa", "ecdsa"]).optional(),
  rsaBits: z.union([z.literal(2048), z.literal(3072), z.literal(4096)]).optional(),
  validityDays: z.number().int().min(1).max(36500).optional(),
  // Bring your own CA: the certificate and key, written in the config or read from files; check-cluster-ca.ts
  // checks the pairs, the secrecy of the key and the certificate itself.
  certPem: nonEmpty.optional().describe("PEM of a CA certificate to use instead of a generated one"),
  keyPem: nonEmpty.optional().describe("PEM private key of certPem (set it with --secret)"),
  certFile: localPath
    .optional()
    .describe("path of a CA certificate file on the machine running Pulumi; read at deployment instead of certPem"),
  keyFile: localPath
    .optional()
    .describe("path of the CA's private key file on the machine running Pulumi; read at deployment instead of keyPem"),
});

/** kube-vip as a static Pod on every control-plane node, holding controlPlaneEndpoint's IP on the leader. */
export const kubeVip = z.strictObject({
  enabled: z.boolean().optional().describe("run kube-vip on the control-plane nodes to hold the endpoint's IP"),
  interface: word.optional().describe("network interface the virtual IP is added to, e.g. eth0 or ens192"),
  image: word.optional().describe("kube-vip image; ghcr.io/kube-vip/kube-vip:<pinned> by default"),
});

export const drain = z.strictObject({
  force: z.boolean().optional().describe("delete the node even when the drain fails"),
  timeoutSeconds: z.number().int().min(1).optional(),
});

export const certificates = z.strictObject({
  renewBeforeDays: z
    .number()
    .int()
    .min(1)
    .optional()
    .describe("renew a control plane's certificates once they expire within this many days"),
});

export const upgrade = z.strictObject({
  workersAtOnce: z
    .number()
    .int()
    .min(1)
    .optional()
    .describe("workers drained and upgraded at the same time when kubernetesVersion changes"),
});

export const etcdSnapshots = z.strictObject({
  beforeChanges: z
    .boolean()
    .optional()
    .describe("snapshot etcd on a control plane before an update restarts what runs it"),
  keep: z.number().int().min(1).max(100).optional().describe("snapshots kept on each control plane"),
});

/** Every key of the stack config, without the project prefix. */
export const clusterConfig = z.strictObject({
  kubernetesVersion: word.optional(),
  hostsFile: localPath
    .optional()
    .describe(
      "path of a YAML or JSON file holding controlPlane, workers and/or ssh, e.g. an inventory written by another " +
        "tool (~ is the home directory, relative paths start at the project directory)",
    ),
  controlPlane: z
    .array(host)
    .describe("control-plane hosts, in the stack config or in hostsFile; the first one runs kubeadm init"),
  workers: z.array(host).optional(),
  ssh: sshSettings.optional().describe("SSH defaults for every host"),
  controlPlaneEndpoint: word.optional().describe('"host:port" shared by all control-plane nodes'),
  kubeVip: kubeVip.optional(),
  podSubnet: word.optional(),
  serviceSubnet: word.optional(),
  dnsDomain: word.optional(),
  imageRepository: word.optional(),
  packages: packageMirrors.optional(),
  containerd: containerd.optional(),
  apiServer: component.extend({ certSANs: z.array(word).optional() }).optional(),
  controllerManager: component.optional(),
  scheduler: component.optional(),
  kubelet: kubelet.optional(),
  kubeProxy: kubeProxy.optional(),
  hostPrep: hostPrep.optional(),
  schedulableControlPlane: z.boolean().optional(),
  clusterCa: clusterCa.optional(),
  joinTokenTtl: nonEmpty.optional().describe("lifetime of the token minted for each join, e.g. 15m"),
  drain: drain.optional(),
  certificates: certificates.optional(),
  etcdSnapshots: etcdSnapshots.optional(),
  upgrade: upgrade.optional(),
  addons: addons.optional(),
});
export type ClusterConfigInput = z.infer<typeof clusterConfig>;

/** Defaults applied after validation, so the rest of the program never sees an optional it must guess. */
export const DEFAULTS = {
  kubernetesVersion: DEFAULT_KUBERNETES_VERSION,
  podSubnet: "10.244.0.0/16",
  serviceSubnet: "10.96.0.0/12",
  dnsDomain: "cluster.local",
  imageRepository: "registry.k8s.io",
  sshUser: "root",
  sshPort: 22,
  connectTimeoutSeconds: 30,
  commandTimeoutSeconds: 1800,
  /** Connection attempts before a host counts as unreachable (only dial failures are retried). */
  sshDialErrorLimit: 3,
  /** The API server's port on each control-plane node, and of the default controlPlaneEndpoint. */
  apiServerPort: 6443,
  schedulableControlPlane: false,
  joinTokenTtl: "15m",
  drainTimeoutSeconds: 300,
  /** kubeadm's certificates live a year; a month leaves room for a missed run or two. */
  certificateRenewBeforeDays: 30,
  /** Each snapshot holds the whole cluster's state; three cover an update and two retries of it. */
  etcdSnapshotsKeep: 3,
  upgradeWorkersAtOnce: 1,
  drainForce: false,
  /**
   * kube-vip's image (the version `kube-vip manifest pod` of this release writes the manifest for); a registry
   * mirror replaces ghcr.io like it does for add-on images.
   */
  kubeVipImage: "ghcr.io/kube-vip/kube-vip:v1.2.2",
  caKeyType: "rsa" as const,
  caRsaBits: 2048 as const,
  caValidityDays: 3650,
  /** kubeadm's install guide: SELinux permissive, the documented ports open. */
  hostPrepSelinux: "permissive" as const,
  hostPrepFirewalld: "openPorts" as const,
  /** A cluster without a CNI never gets Ready nodes, so the pod network is on unless turned off. */
  flannelEnabled: true,
  flannelBackend: "vxlan" as const,
  dashboardEnabled: false,
  dashboardUi: "dashboard" as const,
  rookCephEnabled: false,
  rookDataDirHostPath: "/var/lib/rook",
  rookDefaultStorageClass: true,
};
