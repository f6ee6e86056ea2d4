// A Pulumi stack of this program pointed at a lab: real sshd hosts in namespaces, the real engine. Tests
// choose which lab hosts the stack declares (so adding or removing a node is a change of the hosts file),
// and can look at each host from the inside: what ran there (the doubles' command log), who logged in
// (sshd's log), and a listing of its files, links and units to compare before and after.
import * as fs from "fs";
import * as path from "path";
import { stringify } from "yaml";
import type { LocalWorkspace, Stack } from "@pulumi/pulumi/automation";
import { startLab, startLabApiProxy, type Lab, type LabApiProxy } from "../../lab";
import type { Distro } from "../../lab/inventory";
import { labDir, REGISTRY_ADDRESS, REGISTRY_PORT } from "../../lab/names";
import { engineProject, type EngineProject } from "./engine";

export interface LabStackOptions {
  lab: string;
  hosts: { name: string; distro: Distro }[];
  /** Extra keys for the stack file (without the project prefix). */
  config?: Record<string, unknown>;
  /** Give the lab a load balancer in front of port 6443 of these hosts (an HA stack's controlPlaneEndpoint). */
  loadBalancer?: string[];
  /**
   * The lab's real control plane (lab/README.md, "Real control plane"); the engine's Kubernetes provider then
   * reaches the API server through the lab's CONNECT proxy (HTTPS_PROXY).
   */
  realControlPlane?: boolean;
  /**
   * Real nodes (lab/README.md, "Real nodes"): systemd, containerd, runc, the kubelet and kubeadm for real, images
   * pulled from the lab's registry through the stack's mirror settings (REAL_NODE_MIRRORS).
   */
  realNodes?: boolean;
}

/**
 * What stays on a control-plane host after destroy with the lab's real control plane, as on a real host: the
 * kubelet creates the controller-manager's flexvolume hostPath (DirectoryOrCreate), which kubeadm reset keeps.
 */
export const KEPT_WITH_REAL_CONTROL_PLANE = [
  "/usr/libexec/kubernetes",
  "/usr/libexec/kubernetes/kubelet-plugins",
  "/usr/libexec/kubernetes/kubelet-plugins/volume",
  "/usr/libexec/kubernetes/kubelet-plugins/volume/exec",
];

/**
 * Settings every lab stack needs: the lab blocks the upstream registries and repositories, like the seed's
 * network, and its hosts are nested ones on cgroup v1 without CAP_SYS_RESOURCE (lab/README.md).
 */
export const LAB_MIRRORS = {
  kubelet: { allowCgroupV1: true },
  containerd: { restrictOomScoreAdj: true },
  imageRepository: "registry.aliyuncs.com/google_containers",
  packages: {
    apt: { kubernetesRepository: "https://mirrors.aliyun.com/kubernetes-new/core/stable/v1.35/deb/" },
    yum: {
      kubernetesRepository: "https://mirrors.aliyun.com/kubernetes-new/core/stable/v1.35/rpm/",
      containerdRepository: "https://mirrors.aliyun.com/docker-ce/linux/centos/",
    },
  },
  addons: { flannel: { enabled: false } },
};

/**
 * On real nodes every image comes from the lab's registry, and only through the product's mirror settings, as
 * behind the seed's firewall: kubeadm's images from imageRepository, the add-ons' through addons.imageMirror, and
 * containerd sends every pull for those registries (and Docker Hub's, for workloads) to the mirror.
 */
export const REAL_NODE_MIRRORS = {
  // nf_conntrack_max is the machine's, read-only in a host's network namespace.
  kubeProxy: { conntrackMaxPerCore: 0 },
  addons: { imageMirror: "registry.aliyuncs.com/google_containers", flannel: { enabled: false } },
  containerd: {
    restrictOomScoreAdj: true,
    registryMirrors: {
      "registry.aliyuncs.com": [`http://${REGISTRY_ADDRESS}:${REGISTRY_PORT}`],
      "docker.io": [`http://${REGISTRY_ADDRESS}:${REGISTRY_PORT}`],
    },
  },
};

/** Later settings win, key by key inside objects (a test's `addons.flannel` keeps the lab's `addons.imageMirror`). */
function merged(...layers: Record<string, unknown>[]): Record<string, unknown> {
  const isObject = (v: unknown): v is Record<string, unknown> =>
    typeof v === "object" && v !== null && !Array.isArray(v);
  const out: Record<string, unknown> = {};
  for (const layer of layers) {
    for (const [key, value] of Object.entries(layer)) {
      out[key] = isObject(value) && isObject(out[key]) ? merged(out[key], value) : value;
    }
  }
  return out;
}

export class LabStack {
  output = "";
  private apiProxy?: LabApiProxy;

  private constructor(
    readonly lab: Lab,
    readonly project: EngineProject,
    readonly stack: Stack,
    private readonly hostsFile: string,
  ) {}

  static async start(options: LabStackOptions, stackName = "lab"): Promise<LabStack> {
    const loadBalancer = options.loadBalancer ? { hosts: options.loadBalancer } : undefined;
    const lab = await startLab({
      name: options.lab,
      hosts: options.hosts,
      loadBalancer,
      realControlPlane: options.realControlPlane,
      realNodes: options.realNodes,
    });
    const project = await engineProject();
    const hostsFile = path.join(labDir(options.lab), "stack-hosts.yaml");
    const config = merged(
      { hostsFile, ...LAB_MIRRORS },
      options.realNodes ? REAL_NODE_MIRRORS : {},
      options.config ?? {},
    );
    const stackFile = stringify({
      config: Object.fromEntries(Object.entries(config).map(([key, value]) => [`pulumi-kubeadm:${key}`, value])),
    });
    const stack = await project.stack(stackName, stackFile);
    const labStack = new LabStack(lab, project, stack, hostsFile);
    if (options.realControlPlane || options.realNodes) {
      labStack.apiProxy = await startLabApiProxy(options.lab);
      Object.assign((stack.workspace as LocalWorkspace).envVars, {
        HTTPS_PROXY: labStack.apiProxy.url,
        NO_PROXY: "127.0.0.1,localhost",
      });
    }
    return labStack;
  }

  /** Declares which lab hosts form the cluster: the first list's hosts run the control plane. */
  declareHosts(controlPlane: string[], workers: string[]): void {
    const host = (name: string) => {
      const h = this.lab.host(name);
      return { name, address: h.sshAddress, port: h.sshPort, advertiseAddress: h.address, hostKey: h.hostKey };
    };
    const content = stringify(
      {
        controlPlane: controlPlane.map(host),
        workers: workers.map(host),
        ssh: { user: "root", privateKeyFile: this.lab.inventory.privateKeyPath },
      },
      { lineWidth: 0 },
    );
    fs.writeFileSync(this.hostsFile, content);
  }

  private capture = (text: string) => {
    this.output += text;
  };

  preview() {
    return this.stack.preview({ onOutput: this.capture });
  }

  up() {
    return this.stack.up({ onOutput: this.capture });
  }

  destroy() {
    return this.stack.destroy({ onOutput: this.capture });
  }

  /** Lines the doubles logged on a host: every kubeadm, apt, systemctl... invocation, in order. */
  commands(host: string): string[] {
    const file = path.join(labDir(this.lab.name), "hosts", host, "upper", "var", "log", "lab", "commands.log");
    return fs.existsSync(file) ? fs.readFileSync(file, "utf8").split("\n").filter(Boolean) : [];
  }

  /** SSH logins accepted by the host's sshd so far. */
  logins(host: string): number {
    const file = path.join(labDir(this.lab.name), "hosts", host, "sshd.log");
    return fs.existsSync(file) ? (fs.readFileSync(file, "utf8").match(/Accepted publickey/g) ?? []).length : 0;
  }

  /**
   * What "clean" means on a host: its files (outside the doubles' own bookkeeping and the package
   * databases), network links and enabled units. /run and /tmp are tmpfs and empty after a reboot anyway.
   */
  async snapshot(host: string): Promise<string> {
    return this.lab.run(
      host,
      [
        "find /etc /usr /var /opt /root -xdev 2>/dev/null | grep -v -e '^/var/lib/lab' -e '^/var/log' " +
          "-e '^/var/lib/dpkg' -e '^/var/lib/apt' -e '^/var/cache' -e '^/var/lib/rpm' -e '^/var/lib/dnf' | sort",
        "echo '# links'; ip -o link show | awk -F': ' '{print $2}' | sort",
        "echo '# enabled units'; ls /etc/systemd/system/*.wants 2>/dev/null | sort",
      ].join("; "),
    );
  }

  async kubectl(args: string): Promise<string> {
    const controlPlane = this.lab.inventory.hosts[0].name;
    // the discovery cache in /tmp (not part of a host's snapshot), not the real kubectl's $HOME/.kube/cache
    return this.lab.run(
      controlPlane,
      `kubectl --cache-dir /tmp/kubectl-cache --kubeconfig /etc/kubernetes/admin.conf ${args}`,
    );
  }

  /** The cluster's Node names as the control plane lists them, sorted. */
  async nodeNames(): Promise<string[]> {
    const listed = await this.kubectl("get nodes -o name");
    return listed
      .trim()
      .split("\n")
      .filter(Boolean)
      .map((line) => line.replace(/^node\//, ""))
      .sort();
  }

  async stop(): Promise<void> {
    try {
      await this.apiProxy?.close();
      await this.lab.stop();
    } finally {
      this.project.remove();
    }
  }
}
