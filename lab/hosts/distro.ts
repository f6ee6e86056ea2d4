// What makes a host look like Ubuntu or Rocky Linux to the product: the release files it reads, and which
// package tools exist. The machine is Debian, so on a Rocky host the machine's apt/dpkg must disappear.
import type { Distro } from "../inventory";

export type Family = "apt" | "yum";

export function familyOf(distro: Distro): Family {
  return distro === "rocky" ? "yum" : "apt";
}

const UBUNTU_OS_RELEASE = `PRETTY_NAME="Ubuntu 24.04.3 LTS"
NAME="Ubuntu"
VERSION_ID="24.04"
VERSION="24.04.3 LTS (Noble Numbat)"
VERSION_CODENAME=noble
ID=ubuntu
ID_LIKE=debian
HOME_URL="https://www.ubuntu.com/"
SUPPORT_URL="https://help.ubuntu.com/"
BUG_REPORT_URL="https://bugs.launchpad.net/ubuntu/"
PRIVACY_POLICY_URL="https://www.ubuntu.com/legal/terms-and-policies/privacy-policy"
UBUNTU_CODENAME=noble
LOGO=ubuntu-logo
`;

const ROCKY_OS_RELEASE = `NAME="Rocky Linux"
VERSION="9.6 (Blue Onyx)"
ID="rocky"
ID_LIKE="rhel centos fedora"
VERSION_ID="9.6"
PLATFORM_ID="platform:el9"
PRETTY_NAME="Rocky Linux 9.6 (Blue Onyx)"
ANSI_COLOR="0;32"
LOGO="fedora-logo-icon"
CPE_NAME="cpe:/o:rocky:rocky:9::baseos"
HOME_URL="https://rockylinux.org/"
VENDOR_NAME="RESF"
VENDOR_URL="https://resf.org/"
BUG_REPORT_URL="https://bugs.rockylinux.org/"
SUPPORT_END="2032-05-31"
ROCKY_SUPPORT_PRODUCT="Rocky-Linux-9"
ROCKY_SUPPORT_PRODUCT_VERSION="9.6"
REDHAT_SUPPORT_PRODUCT="Rocky Linux"
REDHAT_SUPPORT_PRODUCT_VERSION="9.6"
`;

/** Files (paths from /) that identify the distribution; os-release is written in both places tools look. */
export function releaseFiles(distro: Distro): Record<string, string> {
  if (distro === "rocky") {
    const release = "Rocky Linux release 9.6 (Blue Onyx)\n";
    return {
      "etc/os-release": ROCKY_OS_RELEASE,
      "usr/lib/os-release": ROCKY_OS_RELEASE,
      "etc/redhat-release": release,
      "etc/rocky-release": release,
      "etc/system-release": release,
    };
  }
  return {
    "etc/os-release": UBUNTU_OS_RELEASE,
    "usr/lib/os-release": UBUNTU_OS_RELEASE,
    "etc/lsb-release":
      'DISTRIB_ID=Ubuntu\nDISTRIB_RELEASE=24.04\nDISTRIB_CODENAME=noble\nDISTRIB_DESCRIPTION="Ubuntu 24.04.3 LTS"\n',
    "etc/debian_version": "trixie/sid\n",
  };
}

/** Directories a fresh host of the family has, for the product to drop repository definitions into. */
export function familyDirs(family: Family): string[] {
  return family === "yum" ? ["etc/yum.repos.d", "etc/pki/rpm-gpg"] : ["etc/apt/sources.list.d", "etc/apt/keyrings"];
}

const APT_TOOLS = [
  "apt",
  "apt-get",
  "apt-cache",
  "apt-mark",
  "apt-key",
  "apt-config",
  "dpkg",
  "dpkg-query",
  "dpkg-deb",
];
const YUM_TOOLS = ["yum", "dnf", "dnf-3", "microdnf", "rpm", "rpmquery", "rpmkeys", "yum-config-manager"];
const APT_STATE = ["etc/apt", "etc/dpkg", "etc/debian_version", "var/lib/apt", "var/lib/dpkg", "var/cache/apt"];
const YUM_STATE = ["etc/yum.repos.d", "etc/dnf", "etc/yum.conf", "var/lib/rpm", "var/lib/dnf", "var/cache/dnf"];

/**
 * Paths (from /) hidden on a host of the family: the other family's tools and state, so `command -v apt-get`
 * fails on Rocky as on a real machine. Only paths the machine has matter; the caller skips the others.
 */
export function hiddenPaths(family: Family): string[] {
  const [tools, state] = family === "yum" ? [APT_TOOLS, APT_STATE] : [YUM_TOOLS, YUM_STATE];
  return [...state, ...tools.flatMap((t) => [`usr/bin/${t}`, `usr/sbin/${t}`])];
}

/**
 * The machine's own tools that would change the machine itself if a product or test ran them by absolute
 * path on a host (swapoff -a turns the machine's swap off); on PATH, the doubles in /usr/local come first.
 */
export const MACHINE_WIDE_TOOLS = [
  "usr/sbin/swapoff",
  "usr/sbin/swapon",
  "usr/sbin/modprobe",
  "usr/sbin/rmmod",
  "usr/sbin/insmod",
];
