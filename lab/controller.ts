// A lab: hosts started in parallel, reachable over SSH, inspectable without SSH, and removed completely.
import * as fs from "fs";
import * as path from "path";
import { defaultDoublesDir } from "./hosts/doubles";
import { provisionHost } from "./hosts/files";
import { isForwarderRunning, SSH_ADDRESS, startForwarder, stopForwarderSync, waitForSsh } from "./hosts/forwarder";
import {
  bootHost,
  DROPPED_CAPS,
  haltHostSync,
  HOST_PATH,
  initLogTail,
  isHostRunning,
  readInit,
  type HostContext,
} from "./hosts/host";
import { ensureInotifyLimits } from "./hosts/inotify";
import { upperRoot } from "./hosts/mounts";
import { createSwitch, labNetwork, namespaceExists } from "./hosts/network";
import { isRunning } from "./hosts/processes";
import { generateKey } from "./hosts/sshd";
import { USERS } from "./hosts/accounts";
import {
  inventoryPath,
  knownHostsPath,
  readInventory,
  writeInventory,
  type Distro,
  type Inventory,
  type InventoryHost,
} from "./inventory";
import { hostDir, labDir, sharedDir, switchNs, type LabAddresses } from "./names";
import { mapLimit, runStatus, runSync, type RunResult } from "./run";
import * as shared from "./shared";
import { teardownLabSync } from "./teardown";
import { disownLab, ownLab } from "./cleanup";
import {
  checkSpec,
  initArgs,
  loadBalancerBackends,
  loadBalancerCheck,
  sameShape,
  type HostSpec,
  type LabSpec,
} from "./spec";
import { isLoadBalancerRunning, startLoadBalancer } from "./load-balancer";
import { installRealPackages } from "./real-packages";
import { noteLabStarted } from "./started";
import { isRegistryRunning, startRegistry } from "./registry";
import { provisionSystemd } from "./hosts/systemd";

export { hostSpecs, type DistroChoice, type HostSpec, type LabSpec } from "./spec";

export interface StartOptions {
  /**
   * Keep a running lab of the same shape as it is, repairing hosts or forwarders that died (what `lab up`
   * does). By default a lab starts afresh: leftovers of a lab with the same name are removed first.
   */
  reuse?: boolean;
  /** Hosts booting at once (default 8). */
  concurrency?: number;
  /** Tear the lab down when this process exits, including on SIGINT/SIGTERM (default true; `lab up`: false). */
  stopOnExit?: boolean;
  /** Where the doubles come from (default lab/doubles). */
  doublesDir?: string;
  /** Per host, from boot to an SSH banner (default 60 s: 50 hosts on 2 shared cores take a while). */
  bootTimeoutMs?: number;
  onProgress?: (message: string) => void;
}

export async function startLab(spec: LabSpec, options: StartOptions = {}): Promise<Lab> {
  checkSpec(spec);
  noteLabStarted(spec.name);
  const progress = options.onProgress ?? (() => undefined);
  if (options.reuse) {
    const existing = readInventory(spec.name);
    if (existing && sameShape(existing, spec)) {
      const lab = new Lab(existing, options);
      await lab.repair();
      return lab;
    }
    if (existing && existing.hosts.some((h) => isHostRunning(hostDir(spec.name, h.name)))) {
      throw new Error(`lab ${spec.name} is running with other hosts; run 'lab down --name ${spec.name}' first`);
    }
  }
  const leftovers = teardownLabSync(spec.name);
  if (leftovers.killed > 0 || leftovers.namespaces.length > 0) {
    progress(
      `removed leftovers of an earlier lab ${spec.name}: ${leftovers.killed} processes, ${leftovers.namespaces.length} namespaces`,
    );
  }
  if (options.stopOnExit ?? true) ownLab(spec.name);
  try {
    return await createLab(spec, options, progress);
  } catch (error) {
    disownLab(spec.name);
    teardownLabSync(spec.name);
    throw error;
  }
}

async function createLab(spec: LabSpec, options: StartOptions, progress: (m: string) => void): Promise<Lab> {
  const dir = labDir(spec.name);
  fs.mkdirSync(path.join(dir, "keys"), { recursive: true, mode: 0o700 });
  fs.mkdirSync(path.join(dir, "hosts"), { recursive: true });
  const privateKeyPath = path.join(dir, "keys", "id_ed25519");
  const clientPublicKey = await generateKey(privateKeyPath, `lab-${spec.name}`);
  shared.initShared(sharedDir(spec.name));
  for (const change of ensureInotifyLimits()) progress(`raised ${change} (lab/hosts/inotify.ts says why)`);
  const network = await createSwitch(spec.name);
  progress(`lab network ${network.cidr}, routed from this machine`);
  const doublesDir = options.doublesDir ?? defaultDoublesDir();
  const timeout = options.bootTimeoutMs ?? 60_000;
  installRealPackages(path.join(sharedDir(spec.name), "packages"));
  const registry = await startRegistry(spec.name);
  progress(`registry on ${registry.address}:${registry.port}`);
  let ready = 0;
  const hosts = await mapLimit(spec.hosts, options.concurrency ?? 8, async (h, index): Promise<InventoryHost> => {
    const context = hostContext(spec.name, h, index, doublesDir);
    fs.mkdirSync(context.dir, { recursive: true });
    const hostKey = await provisionHost(upperRoot(context.dir), {
      ...h,
      address: context.address,
      gateway: network.gateway,
      clientPublicKey,
    });
    provisionSystemd(upperRoot(context.dir), DROPPED_CAPS);
    await bootHost(context);
    const forwarder = await startForwarder(spec.name, h.name, context.address, context.dir);
    await waitForSsh(
      forwarder.port,
      timeout,
      () => isHostRunning(context.dir),
      () => bootReport(context.dir),
    );
    progress(`host ${h.name} up (${++ready}/${spec.hosts.length})`);
    return {
      name: h.name,
      distro: h.distro,
      ...(h.selinux ? { selinux: h.selinux } : {}),
      ...(h.firewalld ? { firewalld: true } : {}),
      ...(h.docker ? { docker: true } : {}),
      ...(h.minimal ? { minimal: true } : {}),
      ...(h.privateRegistry ? { privateRegistry: true } : {}),
      ...(h.swap ? { swap: h.swap } : {}),
      address: context.address,
      sshAddress: SSH_ADDRESS,
      sshPort: forwarder.port,
      hostKey,
      users: [...USERS],
    };
  });
  const inventory: Inventory = {
    name: spec.name,
    privateKeyPath,
    knownHostsPath: knownHostsPath(spec.name),
    hosts,
    registry,
  };
  const backends = loadBalancerBackends(spec);
  if (backends !== undefined) {
    inventory.loadBalancer = await startLoadBalancer(
      spec.name,
      hosts.filter((h) => backends.includes(h.name)),
      loadBalancerCheck(spec),
    );
    progress(`load balancer on ${inventory.loadBalancer.address}:${inventory.loadBalancer.port}`);
  }
  writeInventory(inventory);
  return new Lab(inventory, options);
}

function hostContext(lab: string, host: HostSpec, index: number, doublesDir: string): HostContext {
  return {
    lab,
    name: host.name,
    index,
    distro: host.distro,
    initArgs: initArgs(host),
    address: labNetwork(lab).host(index),
    dir: hostDir(lab, host.name),
    sharedDir: sharedDir(lab),
    doublesDir,
  };
}

function bootReport(dir: string): string {
  let sshd = "";
  try {
    sshd = fs.readFileSync(path.join(dir, "sshd.log"), "utf8").trim().split("\n").slice(-5).join(" | ");
  } catch {
    // Not started yet.
  }
  return `init.log: ${initLogTail(dir)}; sshd.log: ${sshd || "empty"}${systemdReport(dir)}`;
}

/** What the host's systemd is still doing and how its sshd unit fares: why a boot hangs. */
function systemdReport(dir: string): string {
  const init = readInit(dir)?.init;
  if (!init || !isRunning(init)) return "";
  const report = runSync("timeout", [
    "5",
    "nsenter",
    "-t",
    String(init.pid),
    "-m",
    "-p",
    "--",
    "sh",
    "-c",
    "command -v systemctl >/dev/null || exit 0; systemctl is-system-running; systemctl list-jobs --no-pager | head -8; " +
      "systemctl status lab-sshd --no-pager -n 5 2>&1 | head -12",
  ]);
  const text = `${report.stdout}${report.stderr}`.trim();
  return text ? `; systemd: ${text.split("\n").join(" | ")}` : "";
}

/** A running lab, from its state dir (any process may open it: `lab clock`, `lab fault`, tests' helpers). */
export function openLab(name: string, options: StartOptions = {}): Lab {
  const inventory = readInventory(name);
  if (!inventory) throw new Error(`lab ${name} is not running (no ${inventoryPath(name)}); start it with 'lab up'`);
  return new Lab(inventory, options);
}

/** Removes the lab, its processes, namespaces and state dir, whatever state it is in. */
export function stopLabSync(name: string): void {
  disownLab(name);
  teardownLabSync(name);
}

export interface HostStatus {
  name: string;
  distro: Distro;
  address: string;
  sshPort: number;
  /** The host's init runs. */
  up: boolean;
  /** Its forwarder runs. */
  reachable: boolean;
}

export class Lab {
  readonly name: string;
  readonly dir: string;
  readonly sharedDir: string;
  private current: Inventory;
  private readonly doublesDir: string;
  private readonly bootTimeoutMs: number;

  constructor(inventory: Inventory, options: StartOptions = {}) {
    this.name = inventory.name;
    this.dir = labDir(inventory.name);
    this.sharedDir = sharedDir(inventory.name);
    this.current = inventory;
    this.doublesDir = options.doublesDir ?? defaultDoublesDir();
    this.bootTimeoutMs = options.bootTimeoutMs ?? 60_000;
  }

  get inventory(): Inventory {
    return this.current;
  }

  /** The lab's address block: hosts, gateway, load balancer, registry, a free virtual IP. */
  get network(): LabAddresses {
    return labNetwork(this.name);
  }

  get inventoryPath(): string {
    return inventoryPath(this.name);
  }

  host(name: string): InventoryHost {
    const host = this.current.hosts.find((h) => h.name === name);
    if (!host)
      throw new Error(`lab ${this.name} has no host ${name} (${this.current.hosts.map((h) => h.name).join(", ")})`);
    return host;
  }

  /**
   * Arguments for OpenSSH's ssh, host key pinned through the lab's known_hosts (or the given file, for tests
   * that check verification against their own copy): append the command.
   */
  sshArgs(host: string, user = "root", knownHostsFile = this.current.knownHostsPath): string[] {
    const h = this.host(host);
    return [
      "-i",
      this.current.privateKeyPath,
      "-o",
      "IdentitiesOnly=yes",
      "-o",
      `UserKnownHostsFile=${knownHostsFile}`,
      "-o",
      "GlobalKnownHostsFile=/dev/null",
      "-o",
      "StrictHostKeyChecking=yes",
      "-o",
      "BatchMode=yes",
      "-o",
      "ConnectTimeout=10",
      "-o",
      "LogLevel=ERROR",
      "-p",
      String(h.sshPort),
      `${user}@${h.sshAddress}`,
    ];
  }

  /**
   * Runs `command` (sh -c) as root inside the host's namespaces without SSH, through nsenter into its init:
   * for assertions about the host's state. A non-zero status is returned, not thrown.
   */
  exec(host: string, command: string, options: { input?: string; timeoutMs?: number } = {}): Promise<RunResult> {
    this.host(host);
    const init = readInit(hostDir(this.name, host))?.init;
    if (!init || !isRunning(init)) return Promise.reject(new Error(`host ${host} of lab ${this.name} is down`));
    return runStatus(
      "nsenter",
      [
        "-t",
        String(init.pid),
        "-m",
        "-u",
        "-n",
        "-p",
        "-C",
        "-i",
        "-r",
        "-w",
        "--",
        "setpriv",
        "--bounding-set",
        DROPPED_CAPS,
        "--",
        "env",
        "-i",
        `PATH=${HOST_PATH}`,
        "HOME=/root",
        "LANG=C.UTF-8",
        "/bin/sh",
        "-c",
        command,
      ],
      options,
    );
  }

  /** exec() that throws on a non-zero status and returns stdout. */
  async run(host: string, command: string, options: { input?: string; timeoutMs?: number } = {}): Promise<string> {
    const result = await this.exec(host, command, options);
    if (result.code !== 0) {
      throw new Error(
        `${host}: ${JSON.stringify(command)} exited with ${result.code}: ${result.stderr.trim() || result.stdout.trim()}`,
      );
    }
    return result.stdout;
  }

  isUp(host: string): boolean {
    this.host(host);
    return isHostRunning(hostDir(this.name, host));
  }

  /** Switches the host off: every process of it dies, SSH and the lab address stop answering. */
  async hostDown(host: string): Promise<void> {
    this.host(host);
    haltHostSync({ lab: this.name, name: host, dir: hostDir(this.name, host) });
  }

  /**
   * Boots the host again with the same disk (a reboot after hostDown, or a hard reset when it runs): /run and
   * /tmp start empty, kernel network settings are the defaults again, files under /etc, /var, ... stay.
   */
  async hostUp(host: string): Promise<void> {
    const index = this.current.hosts.findIndex((h) => h.name === host);
    const h = this.host(host);
    const context = hostContext(this.name, h, index, this.doublesDir);
    haltHostSync(context);
    await bootHost(context);
    if (!isForwarderRunning(context.dir)) await this.restartForwarder(h);
    await waitForSsh(
      this.host(host).sshPort,
      this.bootTimeoutMs,
      () => isHostRunning(context.dir),
      () => bootReport(context.dir),
    );
  }

  status(): HostStatus[] {
    return this.current.hosts.map((h) => ({
      name: h.name,
      distro: h.distro,
      address: h.address,
      sshPort: h.sshPort,
      up: isHostRunning(hostDir(this.name, h.name)),
      reachable: isForwarderRunning(hostDir(this.name, h.name)),
    }));
  }

  /** Brings back whatever died (hosts, forwarders, the switch, the load balancer) with the same disks, ports and keys. */
  async repair(): Promise<void> {
    if (!namespaceExists(switchNs(this.name))) await createSwitch(this.name);
    await mapLimit(this.current.hosts, 8, async (h) => {
      const dir = hostDir(this.name, h.name);
      if (!isForwarderRunning(dir)) await this.restartForwarder(h);
      if (!isHostRunning(dir)) await this.hostUp(h.name);
    });
    if (!isRegistryRunning(this.name)) await startRegistry(this.name);
    const balancer = this.current.loadBalancer;
    if (balancer && !isLoadBalancerRunning(this.name)) {
      await startLoadBalancer(
        this.name,
        this.current.hosts.filter((h) => balancer.backends.includes(h.name)),
        balancer.check ?? "readyz",
      );
    }
  }

  /** "<address>:<port>" of the lab's load balancer, the controlPlaneEndpoint of a stack that uses it. */
  loadBalancerEndpoint(): string {
    const balancer = this.current.loadBalancer;
    if (!balancer) throw new Error(`lab ${this.name} has no load balancer (start it with loadBalancer / --lb)`);
    return `${balancer.address}:${balancer.port}`;
  }

  private async restartForwarder(h: InventoryHost): Promise<void> {
    const dir = hostDir(this.name, h.name);
    stopForwarderSync(dir);
    const forwarder = await startForwarder(this.name, h.name, h.address, dir, h.sshPort);
    if (forwarder.port !== h.sshPort) {
      this.current = {
        ...this.current,
        hosts: this.current.hosts.map((x) => (x.name === h.name ? { ...x, sshPort: forwarder.port } : x)),
      };
      writeInventory(this.current);
    }
  }

  /** Seconds the doubles add to the real time (/lab/clock). */
  clock(): number {
    return shared.readClock(this.sharedDir);
  }

  /** Moves the lab's clock forward ("25h", "90m", or seconds); returns the new offset. */
  advanceClock(by: string | number): number {
    return shared.advanceClock(this.sharedDir, typeof by === "number" ? by : shared.parseDuration(by));
  }

  resetClock(): void {
    shared.setClock(this.sharedDir, 0);
  }

  setFault(host: string, command: string, fault: shared.Fault): void {
    this.host(host);
    shared.setFault(this.sharedDir, host, command, fault);
  }

  faults(host: string): shared.Faults {
    return shared.readFaults(this.sharedDir, host);
  }

  clearFaults(host?: string): void {
    if (host) this.host(host);
    shared.clearFaults(this.sharedDir, host);
  }

  /** Removes the lab completely (processes, namespaces, state dir). */
  async stop(): Promise<void> {
    stopLabSync(this.name);
  }
}
