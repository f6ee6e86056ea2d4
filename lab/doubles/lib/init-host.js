"use strict";
/*
 * init-host <ubuntu|rocky> [--selinux=enforcing|permissive|disabled] [--firewalld] [--docker] [--minimal]
 *           [--private-registry]
 *           [--swap=none|KIND,...] — the doubles' part of a lab
 * host's boot. The lab runs it as root INSIDE the host (after its mounts, before sshd), at EVERY boot (first boot
 * and reboots); the options are the host spec's and only matter at the first boot:
 *
 *   /lab/doubles/init-host ubuntu        (env LAB_HOST set; LAB_STATE/LAB_LOG/LAB_FS_ROOT only in tests)
 *
 * First boot (no $LAB_STATE/host.json) makes the host look freshly installed:
 *   ubuntu: the machine's apt sources and trusted keys are removed; /etc/apt/sources.list.d/ubuntu.sources
 *           (deb822, archive.ubuntu.com + security.ubuntu.com, Signed-By the archive keyring) and
 *           /usr/share/keyrings/ubuntu-archive-keyring.gpg are written; /etc/apt/keyrings exists (empty).
 *           Nothing is fetched: the product must run apt-get update before installing.
 *   rocky:  /etc/yum.repos.d/rocky.repo (baseos, appstream) and /etc/pki/rpm-gpg/RPM-GPG-KEY-Rocky-9.
 *           --selinux=MODE: /etc/selinux/config as Rocky ships it, SELINUX=MODE (without it: no file, SELinux
 *           disabled, as on this kernel); --firewalld: the firewalld package (lab/doubles/packages/firewalld: the
 *           firewall-cmd double, zones, its unit) installed and enabled, so systemd starts it at every boot and it
 *           enforces the public zone (ssh, dhcpv6-client, cockpit) with nftables rules.
 *           --docker (ubuntu): Docker as `apt-get install docker-ce` from download.docker.com leaves a host:
 *           /etc/apt/keyrings/docker.asc and /etc/apt/sources.list.d/docker.list (Docker's instructions),
 *           containerd.io (its /etc/containerd/config.toml disables CRI) and docker-ce installed (the docker
 *           double, lab/doubles/packages/docker-ce), containerd and docker enabled.
 *           --minimal (ubuntu): no curl, gpg or ca-certificates in the package db, and their files hidden
 *           (/usr/bin/curl, /usr/bin/gpg, /etc/ssl/certs/ca-certificates.crt): apt installs them.
 *           --private-registry (ubuntu): the distribution's containerd (and runc) installed and enabled, as apt
 *           would, at the release's version (the archive's -updates has a newer one), with its admin's
 *           configuration for a private registry: /etc/containerd/config.toml of their own (config_path
 *           /etc/containerd/certs.d), certs.d/registry.corp.example:5000/hosts.toml (pulls through the lab's
 *           registry, then the registry itself with its ca.crt) and ca.crt.
 *   both:   swap (--swap, default "fstab"; "none" for no swap), each kind a device the swap double knows:
 *             fstab           "/swap.img none swap sw 0 0" in /etc/fstab (a 2G file, as Ubuntu's installer makes)
 *             fstab-indented  "    /dev/vdb2    none    swap    sw    0    0" (a 1G partition)
 *             fstab-short     "/var/swap none swap" (three fields; a 512M file)
 *             unit            /etc/systemd/system/swapfile.swap (What=/swapfile, 1G), enabled: WantedBy=swap.target
 *             zram            zram-generator installed, /etc/systemd/zram-generator.conf with [zram0] (/dev/zram0)
 *           the package db lists the base system (curl, gpg/gnupg2, ca-certificates, systemd, ...).
 * Every boot: the curl double the lab copies into /usr/local/bin goes when the package db has no curl.
 * Every boot then does what the kernel and systemd would: the SELinux mode is /etc/selinux/config's; modules from /etc/modules-load.d, /run/modules-load.d and
 * /usr/lib/modules-load.d are loaded (everything else is unloaded); swap is activated as systemd's swap.target
 * would (swapAtBoot: the host's systemd runs in a container, where swap units are not supported); recorded sysctls
 * are forgotten and /etc/sysctl.d etc. re-applied (sysctl --system). The host's real systemd, started next, starts
 * the enabled units.
 * Output: one line "init-host: <host> <distro> boot <n>" on stdout; exit 0 (2 on bad usage).
 */
const fs = require("fs");
const path = require("path");
const lab = require("./double.js");
const pkgs = require("./packages.js");
const modules = require("./modules.js");
const selinux = require("./selinux.js");
const swap = require("./swap.js");
const sysctl = require("./sysctl.js");

/** @typedef {"ubuntu" | "rocky"} Distro */
/**
 * @typedef {{ selinux: string | undefined, firewalld: boolean, docker: boolean, minimal: boolean,
 *   privateRegistry: boolean, swap: string[] }} Options
 */
/** @typedef {{ name: string, priority: number | undefined }} SwapEntry */

/** @type {Record<Distro, Record<string, string>>} */
const BASE = {
  ubuntu: {
    apt: "2.7.14build2",
    dpkg: "1.22.6ubuntu6",
    bash: "5.2.21-2ubuntu4",
    coreutils: "9.4-3ubuntu6",
    systemd: "255.4-1ubuntu8",
    "openssh-server": "1:9.6p1-3ubuntu13",
    "ca-certificates": "20240203",
    curl: "8.5.0-2ubuntu10.1",
    gpg: "2.4.4-2ubuntu17",
    gnupg: "2.4.4-2ubuntu17",
    iproute2: "6.1.0-1ubuntu6",
    iptables: "1.8.10-3ubuntu2",
    kmod: "31+20240202-2ubuntu7",
    procps: "2:4.0.4-4ubuntu3",
    "util-linux": "2.39.3-9ubuntu6",
    mount: "2.39.3-9ubuntu6",
    sudo: "1.9.15p5-3ubuntu5",
    tar: "1.35+dfsg-3build1",
    ethtool: "1:6.7-1build1",
  },
  rocky: {
    dnf: "4.14.0-25.el9",
    "dnf-plugins-core": "4.3.0-20.el9",
    rpm: "4.16.1.3-37.el9",
    bash: "5.1.8-9.el9",
    systemd: "252-51.el9",
    "openssh-server": "8.7p1-45.el9",
    curl: "7.76.1-31.el9",
    "ca-certificates": "2024.2.69_v8.0.303-91.4.el9_4",
    gnupg2: "2.3.3-4.el9",
    iproute: "6.2.0-6.el9_4",
    "iptables-nft": "1.8.10-4.el9_4",
    kmod: "28-10.el9",
    "procps-ng": "3.3.17-14.el9",
    "util-linux": "2.37.4-20.el9",
    sudo: "1.9.5p2-10.el9_3",
    tar: "2:1.34-7.el9",
  },
};

/** @param {string} codename */
const UBUNTU_SOURCES = (codename) => `Types: deb
URIs: http://archive.ubuntu.com/ubuntu/
Suites: ${codename} ${codename}-updates ${codename}-backports
Components: main restricted universe multiverse
Signed-By: /usr/share/keyrings/ubuntu-archive-keyring.gpg

Types: deb
URIs: http://security.ubuntu.com/ubuntu/
Suites: ${codename}-security
Components: main restricted universe multiverse
Signed-By: /usr/share/keyrings/ubuntu-archive-keyring.gpg
`;

const ROCKY_REPO = `[baseos]
name=Rocky Linux $releasever - BaseOS
#mirrorlist=https://mirrors.rockylinux.org/mirrorlist?arch=$basearch&repo=BaseOS-$releasever$rltype
baseurl=https://dl.rockylinux.org/$contentdir/$releasever/BaseOS/$basearch/os/
gpgcheck=1
enabled=1
countme=1
metadata_expire=6h
gpgkey=file:///etc/pki/rpm-gpg/RPM-GPG-KEY-Rocky-9

[appstream]
name=Rocky Linux $releasever - AppStream
#mirrorlist=https://mirrors.rockylinux.org/mirrorlist?arch=$basearch&repo=AppStream-$releasever$rltype
baseurl=https://dl.rockylinux.org/$contentdir/$releasever/AppStream/$basearch/os/
gpgcheck=1
enabled=1
countme=1
metadata_expire=6h
gpgkey=file:///etc/pki/rpm-gpg/RPM-GPG-KEY-Rocky-9
`;

/**
 * @param {string} p
 * @param {string | Buffer} data
 * @param {number} [mode]
 */
function write(p, data, mode) {
  const real = lab.fsPath(p);
  lab.mkdirp(path.dirname(real));
  fs.writeFileSync(real, data);
  if (mode) fs.chmodSync(real, mode);
}

/** @param {string} p */
function emptyDir(p) {
  const real = lab.fsPath(p);
  let names;
  try {
    names = fs.readdirSync(real);
  } catch {
    return;
  }
  for (const n of names) fs.rmSync(path.join(real, n), { recursive: true, force: true });
}

function codename() {
  try {
    const m = /^VERSION_CODENAME=(\S+)/m.exec(fs.readFileSync(lab.fsPath("/etc/os-release"), "utf8"));
    if (m) return m[1].replace(/"/g, "");
  } catch {
    /* default */
  }
  return "noble";
}

/**
 * The host spec's options (lab/spec.ts initArgs): { selinux, firewalld, privateRegistry, swap: [kind, ...] }.
 * @param {string[]} args
 * @returns {Options | undefined}
 */
function parseOptions(args) {
  /** @type {Options} */
  const options = {
    selinux: undefined,
    firewalld: false,
    docker: false,
    minimal: false,
    privateRegistry: false,
    swap: ["fstab"],
  };
  for (const arg of args) {
    const selinux = /^--selinux=(enforcing|permissive|disabled)$/.exec(arg);
    const swap = /^--swap=(.*)$/.exec(arg);
    if (selinux) options.selinux = selinux[1];
    else if (arg === "--firewalld") options.firewalld = true;
    else if (arg === "--docker") options.docker = true;
    else if (arg === "--minimal") options.minimal = true;
    else if (arg === "--private-registry") options.privateRegistry = true;
    else if (swap) {
      options.swap = swap[1] === "none" ? [] : swap[1].split(",");
      if (!options.swap.every((kind) => SWAP_KINDS[kind])) return undefined;
    } else return undefined;
  }
  return options;
}

/** What a minimal Ubuntu install lacks; the files they bring, hidden from the machine's /usr and /etc. */
const MINIMAL_LACKS = ["curl", "gpg", "gnupg", "ca-certificates"];
const MINIMAL_HIDES = ["/usr/bin/curl", "/usr/bin/gpg", "/etc/ssl/certs/ca-certificates.crt"];

/**
 * The versions Docker's repository had when this host installed Docker: not the newest the catalogue offers.
 * @param {string} codename
 */
function dockerVersions(codename) {
  const release = /** @type {Record<string, string>} */ ({ noble: "24.04", jammy: "22.04" })[codename] || "24.04";
  return {
    "containerd.io": `1.7.28-1~ubuntu.${release}~${codename}`,
    "docker-ce": `5:27.5.1-1~ubuntu.${release}~${codename}`,
  };
}

/**
 * Docker installed as its documentation says (docs.docker.com/engine/install/ubuntu): the key saved armored as
 * docker.asc, the one-line source naming it, then `apt-get install docker-ce docker-ce-cli containerd.io ...`,
 * whose postinst scripts enable and start containerd and docker.
 */
function installDocker() {
  const name = codename();
  write("/etc/apt/keyrings/docker.asc", pkgs.readKey("key:docker"), 0o644);
  write(
    "/etc/apt/sources.list.d/docker.list",
    `deb [arch=amd64 signed-by=/etc/apt/keyrings/docker.asc] https://download.docker.com/linux/ubuntu ${name} stable\n`,
    0o644,
  );
  for (const [pkg, version] of Object.entries(dockerVersions(name))) {
    const files = pkgs.installTree(pkg, "apt");
    pkgs.updateDb((db) => {
      db.packages[pkg] = {
        version,
        arch: "amd64",
        files,
        auto: false,
        from: "https://download.docker.com/linux/ubuntu/",
        status: "installed",
      };
    });
  }
  enableUnit("multi-user.target", "/usr/lib/systemd/system/containerd.service");
  enableUnit("multi-user.target", "/usr/lib/systemd/system/docker.service");
}

/**
 * Each kind of swap: its device as the swap double knows it, and what the host's configuration says about it.
 * @type {Record<string, { device: string, type: string, size: string, kib: number, fstab?: string }>}
 */
const SWAP_KINDS = {
  fstab: {
    device: "/swap.img",
    type: "file",
    size: "2G",
    kib: 2097148,
    fstab: "/swap.img\tnone\tswap\tsw\t0\t0",
  },
  "fstab-indented": {
    device: "/dev/vdb2",
    type: "partition",
    size: "1024M",
    kib: 1048572,
    fstab: "    /dev/vdb2    none    swap    sw    0    0",
  },
  "fstab-short": {
    device: "/var/swap",
    type: "file",
    size: "512M",
    kib: 524284,
    fstab: "/var/swap none swap",
  },
  unit: { device: "/swapfile", type: "file", size: "1024M", kib: 1048572 },
  // zram-generator's default size, min(ram / 2, 4096) MiB, on a 4G machine.
  zram: { device: "/dev/zram0", type: "partition", size: "1.9G", kib: 2000892 },
};

const SWAPFILE_UNIT = `[Unit]
Description=Swap file

[Swap]
What=/swapfile

[Install]
WantedBy=swap.target
`;

const ZRAM_GENERATOR_CONF = `# This config file enables a /dev/zram0 device with the default settings
[zram0]
zram-size = min(ram / 2, 4096)
compression-algorithm = zstd
`;

/**
 * The host's swap of each kind: the device the swap double knows, and what turns it on at boot (an fstab line, an
 * enabled unit, zram-generator and its configuration).
 * @param {Distro} distro
 * @param {string[]} kinds
 */
function swapAtFirstBoot(distro, kinds) {
  let fstab = "";
  try {
    fstab = fs.readFileSync(lab.fsPath("/etc/fstab"), "utf8");
  } catch {
    /* none */
  }
  /** @type {Record<string, import("./swap.js").Device>} */
  const devices = {};
  for (const kind of kinds) {
    const { device, fstab: line, ...known } = SWAP_KINDS[kind];
    devices[device] = { ...known, used: "0B" };
    if (line && !fstab.split("\n").some((l) => l.trim().split(/\s+/)[0] === device))
      fstab += `${fstab && !fstab.endsWith("\n") ? "\n" : ""}${line}\n`;
  }
  if (fstab) write("/etc/fstab", fstab);
  if (kinds.includes("unit")) {
    write("/etc/systemd/system/swapfile.swap", SWAPFILE_UNIT, 0o644);
    enableUnit("swap.target", "/etc/systemd/system/swapfile.swap");
  }
  if (kinds.includes("zram")) {
    // Ubuntu's systemd-zram-generator and Rocky's zram-generator: the generator, run by systemd at every boot.
    const [name, version] =
      distro === "ubuntu" ? ["systemd-zram-generator", "1.1.2-1ubuntu1"] : ["zram-generator", "1.1.2-11.el9"];
    pkgs.updateDb((db) => {
      db.packages[name] = {
        version,
        arch: distro === "ubuntu" ? "amd64" : "x86_64",
        files: [],
        auto: false,
        base: true,
        status: "installed",
      };
    });
    write("/etc/systemd/zram-generator.conf", ZRAM_GENERATOR_CONF, 0o644);
  }
  lab.writeJson(lab.statePath("swap.json"), { devices, active: [] });
}

/**
 * `systemctl enable`'s link: UNIT (a path) wanted by TARGET.
 * @param {string} target
 * @param {string} unit
 */
function enableUnit(target, unit) {
  const wants = lab.fsPath(`/etc/systemd/system/${target}.wants`);
  lab.mkdirp(wants);
  fs.rmSync(path.join(wants, path.basename(unit)), { force: true });
  fs.symlinkSync(unit, path.join(wants, path.basename(unit)));
}

/** The private registry's CA (a self-signed one: nothing in the lab talks TLS to the registry). */
const CORP_REGISTRY_CA = `-----BEGIN CERTIFICATE-----
MIIByDCCAW+gAwIBAgIUPlNREPYeYogwiAiKBr6YEHUmCKkwCgYIKoZIzj0EAwIw
OjEVMBMGA1UECgwMQ29ycCBFeGFtcGxlMSEwHwYDVQQDDBhDb3JwIEV4YW1wbGUg
UmVnaXN0cnkgQ0EwHhcNMjYxMjA3MDUxMDQ1WhcNMzYxMjA0MDUxMDQ1WjA6MRUw
EwYDVQQKDAxDb3JwIEV4YW1wbGUxITAfBgNVBAMMGENvcnAgRXhhbXBsZSBSZWdp
c3RyeSBDQTBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABPGc7MOCgdwFoAWhURcH
SnaEFthe1wSTP/AwLLB0xAaiboffl+1aUOdpmb4b14xJZcKUvF+OORAmB1cisjRu
5xOjUzBRMB0GA1UdDgQWBBS1Z8UcoJnc/4TmlzWxDKRhjdfaizAfBgNVHSMEGDAW
gBS1Z8UcoJnc/4TmlzWxDKRhjdfaizAPBgNVHRMBAf8EBTADAQH/MAoGCCqGSM49
BAMCA0cAMEQCIDmWRMMvglK9wRm7HXZuCL9uMBB3pMP8JdFZwnQFvsNvAiB/OuE1
UGhSaJyC25tGeRQ78x6aeAF3j5u1Sfhqbg4w4Q==
-----END CERTIFICATE-----
`;

const CORP_REGISTRY = "registry.corp.example:5000";

/** The admin's own containerd configuration: the registries under certs.d, and settings of their own. */
const CORP_CONTAINERD_CONFIG = `version = 2
oom_score = -999

[plugins."io.containerd.grpc.v1.cri"]
  max_concurrent_downloads = 5

[plugins."io.containerd.grpc.v1.cri".registry]
  config_path = "/etc/containerd/certs.d"
`;

/**
 * The lab's registry, where the private registry's pull-through cache is: the block's .15.253 (lab/README.md,
 * "Network"), found from the resolver the lab names in /etc/resolv.conf (the block's .0.1).
 */
function labRegistry() {
  try {
    const m = /^nameserver\s+(\d+)\.(\d+)\.(\d+)\.1\s*$/m.exec(fs.readFileSync(lab.fsPath("/etc/resolv.conf"), "utf8"));
    if (m) return `${m[1]}.${m[2]}.${Number(m[3]) + 15}.253:5000`;
  } catch {
    /* no resolver */
  }
  return null;
}

/**
 * The version of an Ubuntu package in this release's archive as the release shipped it (its newest there): what a
 * host installed then and not upgraded since has, older than the -updates pocket's.
 * @param {string} name
 */
function releaseVersion(name) {
  const release = codename();
  /** @type {string | null} */
  let newest = null;
  for (const mirror of pkgs.loadCatalogue("apt").mirrors || []) {
    if (!/\.ubuntu\.com\//.test(mirror.url)) continue;
    const packages = (mirror.dists || {})[release]?.packages || {};
    for (const version of packages[name] || []) if (!newest || pkgs.debCompare(version, newest) > 0) newest = version;
  }
  return newest;
}

/** containerd from Ubuntu's archive, installed and enabled as apt would, configured by the admin for a private registry. */
function privateRegistry() {
  for (const [name, auto] of /** @type {[string, boolean][]} */ ([
    ["runc", true],
    ["containerd", false],
  ])) {
    const files = pkgs.installTree(name, "apt");
    // The release's archive in the catalogue has both.
    const version = /** @type {string} */ (releaseVersion(name));
    pkgs.updateDb((db) => {
      db.packages[name] = {
        version,
        arch: "amd64",
        files,
        auto,
        from: "http://archive.ubuntu.com/ubuntu/",
        status: "installed",
      };
    });
  }
  enableUnit("multi-user.target", "/usr/lib/systemd/system/containerd.service");
  write("/etc/containerd/config.toml", CORP_CONTAINERD_CONFIG, 0o644);
  const dir = `/etc/containerd/certs.d/${CORP_REGISTRY}`;
  const cache = labRegistry();
  write(
    `${dir}/hosts.toml`,
    [
      `server = "https://${CORP_REGISTRY}"`,
      "",
      ...(cache ? [`[host."http://${cache}"]`, '  capabilities = ["pull", "resolve"]', ""] : []),
      `[host."https://${CORP_REGISTRY}"]`,
      '  capabilities = ["pull", "resolve", "push"]',
      `  ca = "${dir}/ca.crt"`,
      "",
    ].join("\n"),
    0o644,
  );
  write(`${dir}/ca.crt`, CORP_REGISTRY_CA, 0o644);
}

/**
 * What a Rocky install with SELinux and firewalld has: the config file, the package, its unit enabled.
 * @param {Options} options
 */
function rhelSecurity(options) {
  if (options.selinux) write("/etc/selinux/config", selinux.configFile(options.selinux), 0o644);
  if (!options.firewalld) return;
  const files = pkgs.installTree("firewalld", "yum");
  // The package's empty directories for the admin's own configuration (a zone changed permanently is written there).
  for (const dir of ["zones", "services", "icmptypes", "ipsets", "helpers", "policies"])
    lab.mkdirp(lab.fsPath(`/etc/firewalld/${dir}`));
  pkgs.updateDb((db) => {
    db.packages.firewalld = {
      version: "1.3.4-7.el9",
      arch: "noarch",
      files,
      auto: false,
      base: true,
      status: "installed",
    };
  });
  const wants = lab.fsPath("/etc/systemd/system/multi-user.target.wants");
  lab.mkdirp(wants);
  fs.rmSync(path.join(wants, "firewalld.service"), { force: true });
  fs.symlinkSync("/usr/lib/systemd/system/firewalld.service", path.join(wants, "firewalld.service"));
}

/**
 * @param {Distro} distro
 * @param {Options} options
 */
function firstBoot(distro, options) {
  if (distro === "ubuntu") {
    fs.rmSync(lab.fsPath("/etc/apt/sources.list"), { force: true });
    fs.rmSync(lab.fsPath("/etc/apt/trusted.gpg"), { force: true });
    emptyDir("/etc/apt/sources.list.d");
    emptyDir("/etc/apt/trusted.gpg.d");
    emptyDir("/etc/apt/keyrings");
    lab.mkdirp(lab.fsPath("/etc/apt/keyrings"));
    write("/etc/apt/sources.list", "# Ubuntu sources have moved to /etc/apt/sources.list.d/ubuntu.sources\n");
    write("/etc/apt/sources.list.d/ubuntu.sources", UBUNTU_SOURCES(codename()));
    write("/usr/share/keyrings/ubuntu-archive-keyring.gpg", pkgs.dearmor(pkgs.readKey("key:ubuntu-archive")));
  } else {
    lab.mkdirp(lab.fsPath("/etc/yum.repos.d"));
    // Every RHEL-family system has it (kubelet's rpm puts its environment file there).
    lab.mkdirp(lab.fsPath("/etc/sysconfig"));
    write("/etc/yum.repos.d/rocky.repo", ROCKY_REPO);
    write("/etc/pki/rpm-gpg/RPM-GPG-KEY-Rocky-9", pkgs.readKey("key:rocky"));
    rhelSecurity(options);
  }
  // The host's /usr is the machine's underneath: tools the machine happens to have (a cloud SDK's kubectl,
  // say) would not be on a fresh node. Removing them here hides them from this host only (overlay).
  for (const tool of ["kubeadm", "kubelet", "kubectl", "crictl", "containerd", "ctr", "runc", "docker", "dockerd"]) {
    for (const dir of ["/usr/bin", "/usr/sbin", "/usr/local/bin", "/usr/local/sbin"]) {
      fs.rmSync(lab.fsPath(`${dir}/${tool}`), { force: true });
    }
  }
  swapAtFirstBoot(distro, options.swap);
  if (options.privateRegistry) privateRegistry();
  const family = distro === "rocky" ? "yum" : "apt";
  const arch = family === "yum" ? "x86_64" : "amd64";
  if (options.minimal) for (const file of MINIMAL_HIDES) fs.rmSync(lab.fsPath(file), { force: true });
  pkgs.updateDb((db) => {
    for (const [name, version] of Object.entries(BASE[distro])) {
      if (options.minimal && MINIMAL_LACKS.includes(name)) continue;
      if (!db.packages[name])
        db.packages[name] = { version, arch, files: [], auto: false, base: true, status: "installed" };
    }
  });
  if (options.docker) installDocker();
}

/** The lab copies its curl double into /usr/local/bin at every boot; a host whose package db has no curl has none. */
function curlAtBoot() {
  const curl = pkgs.installed("curl");
  if (!curl || curl.status !== "installed") fs.rmSync(lab.fsPath("/usr/local/bin/curl"), { force: true });
}

function modulesAtBoot() {
  const wanted = [];
  for (const dir of [
    "/etc/modules-load.d",
    "/run/modules-load.d",
    "/usr/local/lib/modules-load.d",
    "/usr/lib/modules-load.d",
  ]) {
    let names;
    try {
      names = fs.readdirSync(lab.fsPath(dir)).filter((n) => n.endsWith(".conf"));
    } catch {
      continue;
    }
    for (const n of names) {
      let text;
      try {
        text = fs.readFileSync(lab.fsPath(`${dir}/${n}`), "utf8");
      } catch {
        // systemd-modules-load skips what it cannot read, e.g. Debian's modules.conf -> ../modules when
        // /etc/modules does not exist.
        continue;
      }
      for (const line of text.split("\n")) {
        const m = line.replace(/[#;].*$/, "").trim();
        if (m) wanted.push(m);
      }
    }
  }
  lab.writeJson(lab.statePath("modules.json"), { loaded: [] });
  for (const m of wanted) modules.load(m);
}

const UNIT_DIRS = [
  "/etc/systemd/system",
  "/run/systemd/system",
  "/usr/local/lib/systemd/system",
  "/usr/lib/systemd/system",
  "/lib/systemd/system",
];

/**
 * A unit is masked when the first unit directory that has it has a link to /dev/null or an empty file there.
 * @param {string} unit
 */
function isMasked(unit) {
  for (const dir of UNIT_DIRS) {
    const file = lab.fsPath(`${dir}/${unit}`);
    let stat;
    try {
      stat = fs.lstatSync(file);
    } catch {
      continue;
    }
    if (stat.isSymbolicLink()) return fs.readlinkSync(file) === "/dev/null" || isEmpty(file);
    return stat.size === 0;
  }
  return false;
}

/** @param {string} file */
function isEmpty(file) {
  try {
    return fs.statSync(file).size === 0;
  } catch {
    return false;
  }
}

/**
 * The unit file's [Swap] What= and Priority=, looked up by name in the unit directories (as systemd does), or null.
 * @param {string} unit
 * @returns {SwapEntry | null}
 */
function swapUnit(unit) {
  for (const dir of UNIT_DIRS) {
    let text;
    try {
      text = fs.readFileSync(lab.fsPath(`${dir}/${unit}`), "utf8");
    } catch {
      continue;
    }
    let section = "";
    /** @type {{ name: string | null, priority: number | undefined }} */
    const found = { name: null, priority: undefined };
    for (const raw of text.split("\n")) {
      const line = raw.trim();
      const header = /^\[(.+)\]$/.exec(line);
      if (header) section = header[1];
      const setting = /^(What|Priority)\s*=\s*(.+)$/.exec(line);
      if (section !== "Swap" || !setting) continue;
      if (setting[1] === "What") found.name = setting[2].trim();
      else found.priority = Number(setting[2].trim());
    }
    return found.name ? { name: found.name, priority: found.priority } : null;
  }
  return null;
}

/**
 * systemd-escape --path: the swap unit systemd-fstab-generator makes of an fstab line's device.
 * @param {string} device
 * @param {string} suffix
 */
function pathUnit(device, suffix) {
  const escaped = device
    .replace(/^\/+|\/+$/g, "")
    .replace(/\/+/g, "/")
    .split("/")
    .map((part) => part.replace(/[^a-zA-Z0-9:_.]|^\./g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`))
    .join("-");
  return `${escaped || "-"}${suffix}`;
}

/**
 * The zram devices zram-generator's configuration asks for (its [zramN] sections that are swap, not a mount), with
 * the priority it gives their swap units (swap-priority, default 100).
 */
function zramDevices() {
  if (!pkgs.installed("systemd-zram-generator") && !pkgs.installed("zram-generator")) return [];
  // The generator reads one zram-generator.conf (/etc's before /run's before /usr's), then the conf.d drop-ins.
  const files = [];
  for (const dir of ["/etc/systemd", "/run/systemd", "/usr/local/lib/systemd", "/usr/lib/systemd"]) {
    if (fs.existsSync(lab.fsPath(`${dir}/zram-generator.conf`))) {
      files.push(`${dir}/zram-generator.conf`);
      break;
    }
  }
  for (const dir of ["/usr/lib/systemd", "/usr/local/lib/systemd", "/run/systemd", "/etc/systemd"]) {
    try {
      for (const name of fs.readdirSync(lab.fsPath(`${dir}/zram-generator.conf.d`)).sort())
        if (name.endsWith(".conf")) files.push(`${dir}/zram-generator.conf.d/${name}`);
    } catch {
      /* no drop-ins */
    }
  }
  /** @type {Map<string, { swap: boolean, priority: number }>} */
  const sections = new Map();
  for (const file of files) {
    /** @type {{ swap: boolean, priority: number } | undefined} */
    let section;
    for (const raw of fs.readFileSync(lab.fsPath(file), "utf8").split("\n")) {
      const line = raw.replace(/[#;].*$/, "").trim();
      const header = /^\[(zram\d+)\]$/.exec(line);
      const priority = /^swap-priority\s*=\s*(-?\d+)$/.exec(line);
      if (header) {
        section = sections.get(header[1]) ?? { swap: true, priority: 100 };
        sections.set(header[1], section);
      } else if (/^\[/.test(line)) section = undefined;
      else if (section && /^mount-point\s*=/.test(line)) section.swap = false;
      else if (section && priority) section.priority = Number(priority[1]);
    }
  }
  return [...sections].filter(([, s]) => s.swap).map(([name, s]) => ({ name, priority: s.priority }));
}

/**
 * The swap devices systemd turns on at boot: every swap unit swap.target pulls in, unless swap.target or the unit
 * is masked. Its units: systemd-fstab-generator's, one per fstab swap line without noauto (named after the
 * device); the .swap units enabled in swap.target.wants/ or .requires/ of a unit directory; zram-generator's
 * dev-zramN.swap, one per [zramN] section of its configuration.
 * @returns {SwapEntry[]}
 */
function bootSwaps() {
  if (isMasked("swap.target")) return [];
  /** @type {SwapEntry[]} */
  const swaps = [];
  for (const entry of swap.fstabEntries()) if (!isMasked(pathUnit(entry.name, ".swap"))) swaps.push(entry);
  for (const dir of UNIT_DIRS) {
    for (const kind of ["wants", "requires"]) {
      let names;
      try {
        names = fs.readdirSync(lab.fsPath(`${dir}/swap.target.${kind}`));
      } catch {
        continue;
      }
      for (const unit of names.filter((n) => n.endsWith(".swap")).sort()) {
        const entry = swapUnit(unit);
        if (entry && !isMasked(unit)) swaps.push(entry);
      }
    }
  }
  for (const zram of zramDevices())
    if (!isMasked(`dev-${zram.name}.swap`)) swaps.push({ name: `/dev/${zram.name}`, priority: zram.priority });
  return swaps.filter((entry, i) => swaps.findIndex((other) => other.name === entry.name) === i);
}

function swapAtBoot() {
  const st = swap.read();
  st.active = [];
  for (const { name, priority } of bootSwaps()) if (st.devices[name]) swap.activate(st, name, priority);
  swap.write(st);
}

function sysctlAtBoot() {
  lab.writeJson(lab.statePath("sysctl.json"), {});
  const sink = { out: () => {}, err: () => {}, argv: ["--system", "-q"], fail: () => {} };
  try {
    sysctl.main(sink);
  } catch {
    /* boot goes on */
  }
}

/** @param {string[]} argv */
function main(argv) {
  const distro = argv[0];
  const options = parseOptions(argv.slice(1));
  if (
    (distro !== "ubuntu" && distro !== "rocky") ||
    !options ||
    (distro === "ubuntu" && (options.selinux || options.firewalld)) ||
    (distro === "rocky" && (options.privateRegistry || options.docker || options.minimal))
  ) {
    process.stderr.write(
      "usage: init-host <ubuntu|rocky> [--selinux=enforcing|permissive|disabled] [--firewalld] (rocky only)\n" +
        `                 [--docker] [--minimal] [--private-registry] (ubuntu only) [--swap=none|KIND,...] (${Object.keys(SWAP_KINDS).join(", ")})\n`,
    );
    process.exitCode = 2;
    return;
  }
  lab.mkdirp(lab.statePath());
  lab.mkdirp(lab.logPath());
  for (const stale of ["dpkg-lock-frontend.pid", "locks"])
    fs.rmSync(lab.statePath(stale), { recursive: true, force: true });
  const hostFile = lab.statePath("host.json");
  const prev = lab.readJson(hostFile, /** @type {import("./double.js").HostRecord | null} */ (null));
  if (!prev) firstBoot(distro, options);
  /** @type {string | null} */
  let netns = null;
  try {
    netns = fs.readlinkSync("/proc/self/ns/net");
  } catch {
    /* no procfs */
  }
  const boots = prev ? (prev.boots || 0) + 1 : 1;
  lab.writeJson(hostFile, {
    host: lab.host(),
    distro,
    family: distro === "rocky" ? "yum" : "apt",
    netns,
    boots,
    bootedAt: lab.now().toISOString(),
  });
  if (distro === "rocky") selinux.boot();
  curlAtBoot();
  modulesAtBoot();
  swapAtBoot();
  sysctlAtBoot();
  // The host's systemd starts the enabled units once this returns.
  process.stdout.write(`init-host: ${lab.host()} ${distro} boot ${boots}\n`);
}

module.exports = { main };
