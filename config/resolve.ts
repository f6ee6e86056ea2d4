// Applies defaults and the `ssh` fallbacks to a validated config, so that components and providers
// receive a ClusterSpec with nothing left to guess.
import { DEFAULTS, type ClusterConfigInput, type Host, type SshSettings } from "./schema";
import {
  SETTING_KEYS,
  type ClusterSpec,
  type Connection,
  type ConnectionSetting,
  type ConnectionSources,
  type NodeSpec,
} from "./spec";
import { pathArgument, type ConfigPath } from "./key-path";
import { joinHostPort, parseHostPort } from "./addresses";
import { minorVersionOf, normalizeKubernetesVersion, parseKubernetesVersion } from "./version";
import { readLocalFile } from "./local-path";
import { kubeadmFactsFor } from "./kubeadm-facts";
// The add-ons' rule, so kube-vip's image moves to addons.imageMirror exactly as theirs do.
import { mirrorImage } from "./image-reference";

export interface ResolveOptions {
  /** The project directory, where a relative privateKeyFile starts; the working directory by default. */
  baseDir?: string;
}

function pauseImageTag(kubernetesVersion: string): string {
  const minor = parseKubernetesVersion(kubernetesVersion)?.minor;
  const tag = minor === undefined ? undefined : kubeadmFactsFor(minor)?.pauseTag;
  // validate.ts only lets through the minors whose kubeadm was read.
  if (!tag) throw new Error(`no pause image tag known for Kubernetes ${kubernetesVersion}`);
  return tag;
}

/** Drops keys whose value is undefined: Pulumi rejects undefined inside resource inputs and outputs. */
export function definedOnly<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/** One host's (or bastion's) SSH settings: its own entry first, then the cluster-wide `ssh` below it. */
interface SettingLevels {
  own: SshSettings;
  /** Where the own entry sits in the config: ["workers", 0], or ["workers", 0, "bastion"]. */
  ownPath: ConfigPath;
  defaults: SshSettings;
}

const SSH_DEFAULTS_PATH: ConfigPath = ["ssh"];

/**
 * The level that sets any of `keys`: the host's own entry, else `ssh`. When neither does it is the host's own,
 * since that is where the setting would go for this host.
 */
function levelOf(
  levels: SettingLevels,
  keys: ReadonlyArray<keyof SshSettings>,
): { settings: SshSettings; path: ConfigPath } {
  const own = { settings: levels.own, path: levels.ownPath };
  const defaults = { settings: levels.defaults, path: SSH_DEFAULTS_PATH };
  if (keys.some((key) => levels.own[key] !== undefined)) return own;
  return keys.some((key) => levels.defaults[key] !== undefined) ? defaults : own;
}

/** The per-host value, else the cluster-wide `ssh` default, else undefined. */
function pick<K extends keyof SshSettings>(levels: SettingLevels, key: K): SshSettings[K] {
  return levelOf(levels, [key]).settings[key];
}

/** privateKey and privateKeyFile are one setting given two ways: a level that sets either overrides both below it. */
const PRIVATE_KEY_KEYS = ["privateKey", "privateKeyFile"] as const;

/** The private key's content: the file is read here, and the spec carries only the key. */
function privateKey(levels: SettingLevels, baseDir: string): string | undefined {
  const source = levelOf(levels, PRIVATE_KEY_KEYS).settings;
  if (source.privateKey !== undefined || source.privateKeyFile === undefined) return source.privateKey;
  const read = readLocalFile(source.privateKeyFile, baseDir);
  // validate.ts checks the file; this only happens when it went away in between.
  if (!read.ok) throw new Error(`the SSH private key file ${read.file} ${read.reason}`);
  return read.text;
}

function settingPath(levels: SettingLevels, setting: ConnectionSetting): ConfigPath {
  if (setting === "host") return [...levels.ownPath, SETTING_KEYS.host];
  if (setting === "privateKey") {
    const { settings, path } = levelOf(levels, PRIVATE_KEY_KEYS);
    return [...path, settings.privateKeyFile !== undefined ? "privateKeyFile" : "privateKey"];
  }
  const key = SETTING_KEYS[setting];
  return [...levelOf(levels, [key]).path, key];
}

/** The key path of each setting, for messages (ConnectionSources). */
function settingSources(levels: SettingLevels, settings: readonly ConnectionSetting[]): ConnectionSources {
  return Object.fromEntries(settings.map((setting) => [setting, pathArgument(settingPath(levels, setting))]));
}

/** Every setting of a host's connection. */
const CONNECTION_SETTINGS = Object.keys(SETTING_KEYS) as ConnectionSetting[];
/** A jump host runs no commands: it has no command timeout of its own. */
const PROXY_SETTINGS = CONNECTION_SETTINGS.filter((setting) => setting !== "commandTimeoutSeconds");

type Hop = NonNullable<Connection["proxy"]>;

/** What a host and a jump host both need: where the SSH server is, how to log in, which host key to expect. */
function hop(address: string, levels: SettingLevels, settings: readonly ConnectionSetting[], baseDir: string): Hop {
  return definedOnly({
    host: address,
    port: pick(levels, "port") ?? DEFAULTS.sshPort,
    user: pick(levels, "user") ?? DEFAULTS.sshUser,
    privateKey: privateKey(levels, baseDir),
    privateKeyPassword: pick(levels, "privateKeyPassword"),
    password: pick(levels, "password"),
    agentSocketPath: pick(levels, "agentSocket"),
    hostKey: pick(levels, "hostKey"),
    knownHostsFile: pick(levels, "knownHostsFile"),
    insecureIgnoreHostKey: pick(levels, "insecureIgnoreHostKey") ?? false,
    connectTimeoutSeconds: pick(levels, "connectTimeoutSeconds") ?? DEFAULTS.connectTimeoutSeconds,
    dialErrorLimit: DEFAULTS.sshDialErrorLimit,
    sources: settingSources(levels, settings),
  });
}

/** `hostPath` is where the host sits in the config (["workers", 0]), for the key paths messages name. */
export function resolveConnection(
  host: Host,
  hostPath: ConfigPath,
  defaults: SshSettings,
  opts: ResolveOptions = {},
): Connection {
  const baseDir = opts.baseDir ?? process.cwd();
  const levels: SettingLevels = { own: host, ownPath: hostPath, defaults };
  const target = hop(host.address, levels, CONNECTION_SETTINGS, baseDir);
  const bastionPath = [...hostPath, "bastion"];
  return definedOnly({
    ...target,
    proxy: host.bastion
      ? hop(host.bastion.address, { own: host.bastion, ownPath: bastionPath, defaults }, PROXY_SETTINGS, baseDir)
      : undefined,
    // root needs no sudo; anyone else does, because every step writes system files.
    sudo: pick(levels, "sudo") ?? target.user !== "root",
    commandTimeoutSeconds: pick(levels, "commandTimeoutSeconds") ?? DEFAULTS.commandTimeoutSeconds,
  });
}

function resolveNode(
  host: Host,
  hostPath: ConfigPath,
  role: NodeSpec["role"],
  defaults: SshSettings,
  opts: ResolveOptions,
): NodeSpec {
  return {
    name: host.name,
    role,
    advertiseAddress: host.advertiseAddress ?? host.address,
    labels: { ...(host.labels ?? {}) },
    connection: resolveConnection(host, hostPath, defaults, opts),
  };
}

function resolveEndpoint(configured: string | undefined, firstControlPlane: NodeSpec | undefined): string {
  if (configured === undefined) {
    if (!firstControlPlane) throw new Error("pulumi-kubeadm:controlPlane is empty; validate the config first");
    return joinHostPort(firstControlPlane.advertiseAddress, DEFAULTS.apiServerPort);
  }
  const parsed = parseHostPort(configured);
  if ("problem" in parsed) {
    throw new Error(`pulumi-kubeadm:controlPlaneEndpoint ${parsed.problem}; validate the config first`);
  }
  return joinHostPort(parsed.host, parsed.port ?? DEFAULTS.apiServerPort);
}

/**
 * kube-vip's settings when it is on: the virtual IP is the endpoint's host (validate.ts made sure it is an IP
 * and that an interface is named). An image the user chose is used as written; the default one goes through
 * addons.imageMirror like every other image that is not kubeadm's.
 */
function resolveKubeVip(config: ClusterConfigInput, endpoint: string): ClusterSpec["kubeVip"] {
  const kubeVip = config.kubeVip;
  if (kubeVip?.enabled !== true) return undefined;
  const parsed = parseHostPort(endpoint);
  if ("problem" in parsed || kubeVip.interface === undefined) {
    throw new Error(
      "pulumi-kubeadm:kubeVip needs controlPlaneEndpoint and kubeVip.interface; validate the config first",
    );
  }
  return {
    address: parsed.host,
    interface: kubeVip.interface,
    image:
      kubeVip.image ??
      (config.addons?.imageMirror
        ? mirrorImage(DEFAULTS.kubeVipImage, config.addons.imageMirror)
        : DEFAULTS.kubeVipImage),
  };
}

/** Later steps append file names to the repository URL, so it must end in "/". */
function withTrailingSlash(url: string): string {
  return url.endsWith("/") ? url : `${url}/`;
}

function resolvePackages(config: ClusterConfigInput, kubernetesMinor: string): ClusterSpec["packages"] {
  const apt = config.packages?.apt ?? {};
  const yum = config.packages?.yum ?? {};
  // pkgs.k8s.io serves one repository per minor release.
  const aptRepository = withTrailingSlash(
    apt.kubernetesRepository ?? `https://pkgs.k8s.io/core:/stable:/v${kubernetesMinor}/deb/`,
  );
  const yumRepository = withTrailingSlash(
    yum.kubernetesRepository ?? `https://pkgs.k8s.io/core:/stable:/v${kubernetesMinor}/rpm/`,
  );
  return definedOnly({
    apt: definedOnly({
      kubernetesRepository: aptRepository,
      kubernetesKeyUrl: apt.kubernetesKeyUrl ?? `${aptRepository}Release.key`,
      containerdRepository: apt.containerdRepository,
    }),
    yum: definedOnly({
      kubernetesRepository: yumRepository,
      kubernetesKeyUrl: yum.kubernetesKeyUrl ?? `${yumRepository}repodata/repomd.xml.key`,
      containerdRepository: yum.containerdRepository,
    }),
    kubernetesPackageVersion: config.packages?.kubernetesPackageVersion,
    containerdPackageVersion: config.packages?.containerdPackageVersion,
  });
}

/** One PEM of a supplied CA: written in the config, or read from the file it names. */
function caPem(written: string | undefined, file: string | undefined, what: string, baseDir: string): string {
  if (written !== undefined) return written;
  if (file === undefined) throw new Error(`pulumi-kubeadm:clusterCa has no CA ${what}; validate the config first`);
  const read = readLocalFile(file, baseDir);
  // validate.ts checks the file; this only happens when it went away in between.
  if (!read.ok) throw new Error(`the CA ${what} file ${read.file} ${read.reason}`);
  return read.text;
}

/** The CA the user brought, when clusterCa names one (validate.ts made sure both halves are there). */
function suppliedCa(config: ClusterConfigInput, baseDir: string): ClusterSpec["clusterCa"]["supplied"] {
  const ca = config.clusterCa ?? {};
  if (ca.certPem === undefined && ca.certFile === undefined) return undefined;
  return {
    certPem: caPem(ca.certPem, ca.certFile, "certificate", baseDir),
    keyPem: caPem(ca.keyPem, ca.keyFile, "key", baseDir),
  };
}

/**
 * The ClusterSpec for a config that validateConfig accepted (with the same baseDir). Key files are read
 * here: the spec holds the key, which callers keep secret, and never the file's path.
 */
export function resolveConfig(config: ClusterConfigInput, opts: ResolveOptions = {}): ClusterSpec {
  const kubernetesVersion = normalizeKubernetesVersion(config.kubernetesVersion ?? DEFAULTS.kubernetesVersion);
  const sshDefaults = config.ssh ?? {};
  const controlPlane = config.controlPlane.map((host, index) =>
    resolveNode(host, ["controlPlane", index], "control-plane", sshDefaults, opts),
  );
  const workers = (config.workers ?? []).map((host, index) =>
    resolveNode(host, ["workers", index], "worker", sshDefaults, opts),
  );
  const imageRepository = config.imageRepository ?? DEFAULTS.imageRepository;
  const rook = config.addons?.rookCeph ?? {};
  const rookDevices = [...(rook.devices ?? [])];
  const controlPlaneEndpoint = resolveEndpoint(config.controlPlaneEndpoint, controlPlane[0]);
  const kubeVip = resolveKubeVip(config, controlPlaneEndpoint);
  return {
    kubernetesVersion,
    controlPlane,
    workers,
    controlPlaneEndpoint,
    controlPlaneEndpointConfigured: config.controlPlaneEndpoint !== undefined,
    ...(kubeVip ? { kubeVip } : {}),
    podSubnet: config.podSubnet ?? DEFAULTS.podSubnet,
    serviceSubnet: config.serviceSubnet ?? DEFAULTS.serviceSubnet,
    dnsDomain: config.dnsDomain ?? DEFAULTS.dnsDomain,
    imageRepository,
    packages: resolvePackages(config, minorVersionOf(kubernetesVersion)),
    containerd: {
      registryMirrors: Object.fromEntries(
        Object.entries(config.containerd?.registryMirrors ?? {}).map(([registry, endpoints]) => [
          registry,
          [...endpoints],
        ]),
      ),
      sandboxImage: config.containerd?.sandboxImage ?? `${imageRepository}/pause:${pauseImageTag(kubernetesVersion)}`,
      restrictOomScoreAdj: config.containerd?.restrictOomScoreAdj ?? false,
    },
    apiServer: {
      extraArgs: { ...(config.apiServer?.extraArgs ?? {}) },
      certSANs: [...(config.apiServer?.certSANs ?? [])],
    },
    controllerManager: { extraArgs: { ...(config.controllerManager?.extraArgs ?? {}) } },
    scheduler: { extraArgs: { ...(config.scheduler?.extraArgs ?? {}) } },
    kubelet: {
      extraArgs: { ...(config.kubelet?.extraArgs ?? {}) },
      allowCgroupV1: config.kubelet?.allowCgroupV1 ?? false,
    },
    kubeProxy: definedOnly({ conntrackMaxPerCore: config.kubeProxy?.conntrackMaxPerCore }),
    hostPrep: {
      selinux: config.hostPrep?.selinux ?? DEFAULTS.hostPrepSelinux,
      firewalld: config.hostPrep?.firewalld ?? DEFAULTS.hostPrepFirewalld,
    },
    schedulableControlPlane: config.schedulableControlPlane ?? DEFAULTS.schedulableControlPlane,
    clusterCa: definedOnly({
      keyType: config.clusterCa?.keyType ?? DEFAULTS.caKeyType,
      rsaBits: config.clusterCa?.rsaBits ?? DEFAULTS.caRsaBits,
      validityDays: config.clusterCa?.validityDays ?? DEFAULTS.caValidityDays,
      supplied: suppliedCa(config, opts.baseDir ?? process.cwd()),
    }),
    joinTokenTtl: config.joinTokenTtl ?? DEFAULTS.joinTokenTtl,
    etcdSnapshots: {
      beforeChanges: config.etcdSnapshots?.beforeChanges ?? true,
      keep: config.etcdSnapshots?.keep ?? DEFAULTS.etcdSnapshotsKeep,
    },
    upgrade: { workersAtOnce: config.upgrade?.workersAtOnce ?? DEFAULTS.upgradeWorkersAtOnce },
    certificates: {
      renewBeforeDays: config.certificates?.renewBeforeDays ?? DEFAULTS.certificateRenewBeforeDays,
    },
    drain: {
      force: config.drain?.force ?? DEFAULTS.drainForce,
      timeoutSeconds: config.drain?.timeoutSeconds ?? DEFAULTS.drainTimeoutSeconds,
    },
    addons: definedOnly({
      imageMirror: config.addons?.imageMirror,
      waitForRollout: config.addons?.waitForRollout ?? true,
      flannel: {
        enabled: config.addons?.flannel?.enabled ?? DEFAULTS.flannelEnabled,
        backend: config.addons?.flannel?.backend ?? DEFAULTS.flannelBackend,
      },
      dashboard: {
        enabled: config.addons?.dashboard?.enabled ?? DEFAULTS.dashboardEnabled,
        ui: config.addons?.dashboard?.ui ?? DEFAULTS.dashboardUi,
      },
      rookCeph: {
        enabled: rook.enabled ?? DEFAULTS.rookCephEnabled,
        devices: rookDevices,
        // An empty device list means "every unused device" (see the schema), unless said otherwise.
        useAllDevices: rook.useAllDevices ?? rookDevices.length === 0,
        dataDirHostPath: rook.dataDirHostPath ?? DEFAULTS.rookDataDirHostPath,
        defaultStorageClass: rook.defaultStorageClass ?? DEFAULTS.rookDefaultStorageClass,
      },
    }),
  };
}
