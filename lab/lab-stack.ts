// A Pulumi stack of this program pointed at a lab: real sshd hosts in namespaces, the real engine. Tests and
// benchmarks choose which lab hosts the stack declares (so adding or removing a node is a change of the hosts file),
// and can look at each host from the inside: what ran there (the doubles' command log), who logged in
// (sshd's log), and a listing of its files, links and units to compare before and after.
import * as fs from "fs";
import * as path from "path";
import { stringify } from "yaml";
import type { LocalWorkspace, PreviewOptions, RefreshOptions, Stack, UpOptions } from "@pulumi/pulumi/automation";
import { startLab, type Lab } from "./controller";
import type { HostSpec } from "./spec";
import { labDir } from "./names";
import { kubernetesVersionConfig, labMirrors, mergeConfig, realNodeMirrors } from "./stack-config";
import { HOST_OUTPUT_ENV } from "../providers/shared/progress";
import { engineProject, type EngineProject } from "./engine";

export interface LabStackOptions {
  lab: string;
  /** The lab's hosts, with what each had before the product came (lab/spec.ts HostSpec: privateRegistry, swap). */
  hosts: HostSpec[];
  /**
   * Extra keys for the stack file (without the project prefix); a function of the lab for values that hold its
   * addresses (each lab has its own block: an endpoint on its load balancer, say).
   */
  config?: Record<string, unknown> | ((lab: Lab) => Record<string, unknown>);
  /** Give the lab a load balancer in front of port 6443 of these hosts (an HA stack's controlPlaneEndpoint). */
  loadBalancer?: string[];
  /** Every host line in the engine's output (PULUMI_KUBEADM_HOST_OUTPUT=all), for tests that look through all of them. */
  everyHostLine?: boolean;
  /**
   * The cluster's Kubernetes version: the pinned one (tools/versions.env KUBERNETES_VERSION) unless another the lab
   * runs is named (KUBERNETES_PREVIOUS_VERSION, "v1.34.4"), with the package repositories of its minor.
   */
  kubernetesVersion?: string;
  /** Another tree of the program to start with (a release's, unpacked): see EngineProject.useProgram. */
  programRoot?: string;
}

/** A resource as the stack's state holds it. */
export interface StoredResource {
  urn: string;
  type: string;
  outputs?: Record<string, unknown>;
}

export class LabStack {
  output = "";

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
    });
    const project = await engineProject(undefined, options.programRoot);
    const hostsFile = path.join(labDir(options.lab), "stack-hosts.yaml");
    const version = options.kubernetesVersion;
    const config = mergeConfig(
      { hostsFile, ...labMirrors(version) },
      version ? { kubernetesVersion: kubernetesVersionConfig(version).kubernetesVersion } : {},
      realNodeMirrors(lab.network.registry),
      typeof options.config === "function" ? options.config(lab) : (options.config ?? {}),
    );
    const stackFile = stringify({
      config: Object.fromEntries(Object.entries(config).map(([key, value]) => [`pulumi-kubeadm:${key}`, value])),
    });
    const stack = await project.stack(stackName, stackFile);
    if (options.everyHostLine) (stack.workspace as LocalWorkspace).envVars[HOST_OUTPUT_ENV] = "all";
    return new LabStack(lab, project, stack, hostsFile);
  }

  /**
   * Declares which lab hosts form the cluster: the first list's hosts run the control plane. `hostKeys` pins other
   * keys than the hosts' own (a wrong pin, say).
   */
  declareHosts(controlPlane: string[], workers: string[], hostKeys: Record<string, string> = {}): void {
    const host = (name: string) => {
      const h = this.lab.host(name);
      const hostKey = hostKeys[name] ?? h.hostKey;
      return { name, address: h.sshAddress, port: h.sshPort, advertiseAddress: h.address, hostKey };
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

  /**
   * Moves the stack to another Kubernetes version the lab runs (its kubernetesVersion and the repositories of its
   * minor), for the next `up`: what a user upgrading the cluster changes in the stack.
   */
  async setKubernetesVersion(kubernetesVersion: string): Promise<void> {
    for (const [key, value] of Object.entries(kubernetesVersionConfig(kubernetesVersion)))
      await this.stack.setConfig(`pulumi-kubeadm:${key}`, { value }, true);
  }

  /** Each chunk of engine output with the time it arrived (ms since the epoch), for benchmarks' timelines. */
  readonly arrivals: { at: number; text: string }[] = [];

  private capture = (text: string) => {
    this.output += text;
    this.arrivals.push({ at: Date.now(), text });
  };

  preview(options: Omit<PreviewOptions, "onOutput"> = {}) {
    return this.stack.preview({ ...options, onOutput: this.capture });
  }

  up(options: Omit<UpOptions, "onOutput"> = {}) {
    return this.stack.up({ ...options, onOutput: this.capture });
  }

  refresh(options: Omit<RefreshOptions, "onOutput"> = {}) {
    return this.stack.refresh({ ...options, onOutput: this.capture });
  }

  destroy() {
    return this.stack.destroy({ onOutput: this.capture });
  }

  /** The stack's resources as its state holds them, secrets decrypted (the CLI's `stack export --show-secrets`). */
  resources(): StoredResource[] {
    const exported = JSON.parse(
      this.project.cli(["stack", "export", "--show-secrets", "--stack", this.stack.name]),
    ) as { deployment: { resources?: StoredResource[] } };
    return exported.deployment.resources ?? [];
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
          "-e '^/var/lib/dpkg' -e '^/var/lib/apt' -e '^/var/cache' -e '^/var/lib/rpm' -e '^/var/lib/dnf' " +
          // systemd's PrivateTmp= directories are named after the boot: a reboot changes them, not the product
          "-e '^/var/tmp/systemd-private-' | sort",
        // "eth0@if7": the peer's index changes when the host reboots (the lab makes a new veth pair)
        "echo '# links'; ip -o link show | awk -F': ' '{print $2}' | sed 's/@.*//' | sort",
        "echo '# enabled units'; ls /etc/systemd/system/*.wants 2>/dev/null | sort",
      ].join("; "),
    );
  }

  /**
   * What a host is, to compare before `up` and after `destroy`, or after a repair with what a fresh up left: the files
   * under /etc with their checksums and links, the kubelet's settings, the installed packages with their versions, the
   * enabled and masked units, what runs, swap with priorities, the kernel settings the product sets, the SELinux mode
   * and the firewall's ports. What a join issues anew (the kubelet's own certificates) is left out. Runs on a host
   * the product never touched as well.
   */
  async listing(host: string): Promise<string> {
    return this.lab.run(
      host,
      [
        "find /etc -xdev -type f -print0 2>/dev/null | sort -z | xargs -0 sha256sum",
        "echo '# links'; find /etc -xdev -type l -printf '%p -> %l\\n' 2>/dev/null | sort",
        "echo '# kubelet'; cd /var/lib/kubelet && sha256sum config.yaml kubeadm-flags.env 2>&1; cd /",
        "echo '# packages'; (dpkg-query -W 2>/dev/null || rpm -qa 2>/dev/null) | sort",
        "echo '# units'; systemctl list-unit-files --state=enabled,masked --no-legend 2>/dev/null | awk '{print $1, $2}' | sort",
        "echo '# running'; systemctl is-active kubelet containerd docker 2>&1",
        "echo '# swap'; swapon --noheadings --show=NAME,PRIO",
        "echo '# kernel'; sysctl -n net.ipv4.ip_forward net.bridge.bridge-nf-call-iptables 2>&1",
        "echo '# selinux'; getenforce 2>&1",
        "echo '# firewall'; firewall-cmd --list-ports 2>&1; firewall-cmd --permanent --list-ports 2>&1; true",
      ].join("; "),
    );
  }

  async kubectl(args: string, options: { input?: string; timeoutMs?: number } = {}): Promise<string> {
    const controlPlane = this.lab.inventory.hosts[0].name;
    // the discovery cache in /tmp (not part of a host's snapshot), not the real kubectl's $HOME/.kube/cache
    return this.lab.run(
      controlPlane,
      `kubectl --cache-dir /tmp/kubectl-cache --kubeconfig /etc/kubernetes/admin.conf ${args}`,
      options,
    );
  }

  /**
   * The kubelets' TLS bootstraps as the API recorded them, oldest first: each joined node's client-certificate
   * CSR, sent with the bootstrap token its join used (requestor system:bootstrap:<token id>).
   */
  async kubeletBootstraps(): Promise<{ node: string; tokenId: string }[]> {
    const csrs = JSON.parse(await this.kubectl("get csr --sort-by=.metadata.creationTimestamp -o json")) as {
      items: { spec: { username: string; signerName: string; request: string } }[];
    };
    return csrs.items
      .filter((c) => c.spec.signerName === "kubernetes.io/kube-apiserver-client-kubelet")
      .filter((c) => c.spec.username.startsWith("system:bootstrap:"))
      .map((c) => {
        // The request is a PEM CSR; its subject's CN, system:node:<name>, is a DER string: plain ASCII right after
        // its one-byte length.
        const pem = Buffer.from(c.spec.request, "base64").toString("utf8");
        const der = Buffer.from(pem.replace(/-----[^-]+-----|\s/g, ""), "base64").toString("latin1");
        const at = der.indexOf("system:node:");
        const node = at > 0 ? der.slice(at, at + der.charCodeAt(at - 1)).replace("system:node:", "") : "?";
        return { node, tokenId: c.spec.username.replace("system:bootstrap:", "") };
      });
  }

  /** The ids of the bootstrap tokens the cluster holds now (kube-system's bootstrap-token-<id> Secrets). */
  async bootstrapTokenIds(): Promise<string[]> {
    const names = await this.kubectl(
      "-n kube-system get secrets --field-selector type=bootstrap.kubernetes.io/token -o jsonpath={.items[*].metadata.name}",
    );
    return names
      .split(/\s+/)
      .filter(Boolean)
      .map((name) => name.replace(/^bootstrap-token-/, ""));
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
      await this.lab.stop();
    } finally {
      this.project.remove();
    }
  }
}
