"use strict";
// SELinux doubles (getenforce, setenforce, selinuxenabled, sestatus): this kernel has no SELinux, so the mode lives
// in $LAB_STATE/selinux.json { "mode": "Enforcing" | "Permissive" | "Disabled" }. init-host sets it at every boot
// from /etc/selinux/config's SELINUX= (enforcing, permissive, disabled; no file: Disabled), as the kernel does:
// setenforce changes the running mode only, and a system booted with SELinux disabled cannot turn it on without a
// reboot. Texts and exit codes are libselinux-utils' (Rocky 9).
const fs = require("fs");
const lab = require("./double.js");

/** @typedef {import("./double.js").Ctx} Ctx */

const FILE = () => lab.statePath("selinux.json");
const CONFIG = "/etc/selinux/config";

/** The mode /etc/selinux/config asks for at boot ("Enforcing", "Permissive", "Disabled"). */
function configMode() {
  let text;
  try {
    text = fs.readFileSync(lab.fsPath(CONFIG), "utf8");
  } catch {
    return "Disabled";
  }
  let mode = "Disabled";
  for (const line of text.split("\n")) {
    const m = /^\s*SELINUX\s*=\s*(\S+)\s*$/.exec(line);
    if (!m) continue;
    const value = m[1].toLowerCase();
    if (value === "enforcing") mode = "Enforcing";
    else if (value === "permissive") mode = "Permissive";
    else mode = "Disabled";
  }
  return mode;
}

function mode() {
  return lab.readJson(FILE(), { mode: "Disabled" }).mode;
}

/** What the kernel does at boot: the configured mode becomes the running one. */
function boot() {
  lab.writeJson(FILE(), { mode: configMode() });
}

/** @param {Ctx} ctx */
function getenforce(ctx) {
  if (ctx.argv.length) ctx.fail("usage:  getenforce", 1);
  ctx.out(`${mode()}\n`);
  return 0;
}

function selinuxenabled() {
  return mode() === "Disabled" ? 1 : 0;
}

const USAGE = "usage:  setenforce [ Enforcing | Permissive | 1 | 0 ]";

/** @param {Ctx} ctx */
function setenforce(ctx) {
  if (ctx.argv.length !== 1) ctx.fail(USAGE, 1);
  const arg = ctx.argv[0];
  let wanted;
  if (arg === "1" || arg.toLowerCase() === "enforcing") wanted = "Enforcing";
  else if (arg === "0" || arg.toLowerCase() === "permissive") wanted = "Permissive";
  else ctx.fail(USAGE, 1);
  if (mode() === "Disabled") ctx.fail("setenforce: SELinux is disabled", 1);
  if (!lab.isRoot()) ctx.fail("setenforce: security_setenforce() failed: Permission denied", 1);
  lab.writeJson(FILE(), { mode: wanted });
  return 0;
}

/** @param {Ctx} ctx */
function sestatus(ctx) {
  const current = mode();
  /** @param {string} label */
  const pad = (label) => `${label}:`.padEnd(32);
  if (current === "Disabled") {
    ctx.out(`${pad("SELinux status")}disabled\n`);
    return 0;
  }
  const rows = [
    [pad("SELinux status"), "enabled"],
    [pad("SELinuxfs mount"), "/sys/fs/selinux"],
    [pad("SELinux root directory"), "/etc/selinux"],
    [pad("Loaded policy name"), "targeted"],
    [pad("Current mode"), current.toLowerCase()],
    [pad("Mode from config file"), configMode().toLowerCase()],
    [pad("Policy MLS status"), "enabled"],
    [pad("Policy deny_unknown status"), "allowed"],
    [pad("Memory protection checking"), "actual (secure)"],
    [pad("Max kernel policy version"), "33"],
  ];
  ctx.out(rows.map(([label, value]) => `${label}${value}\n`).join(""));
  return 0;
}

/**
 * Rocky 9's /etc/selinux/config (selinux-policy), with SELINUX= set to `mode`.
 * @param {string} mode
 */
function configFile(mode) {
  return `
# This file controls the state of SELinux on the system.
# SELINUX= can take one of these three values:
#     enforcing - SELinux security policy is enforced.
#     permissive - SELinux prints warnings instead of enforcing.
#     disabled - No SELinux policy is loaded.
# See also:
# https://docs.fedoraproject.org/en-US/quick-docs/getting-started-with-selinux/#getting-started-with-selinux-selinux-states-and-modes
#
# NOTE: In earlier Fedora kernel builds, SELINUX=disabled would also
# fully disable SELinux during boot. If you need a system with SELinux
# fully disabled instead of SELinux running with no policy loaded, you
# need to pass selinux=0 to the kernel command line. You can use grubby
# to persistently set the bootloader to boot with selinux=0:
#
#    grubby --update-kernel ALL --args selinux=0
#
# To revert back to SELinux enabled:
#
#    grubby --update-kernel ALL --remove-args selinux
#
SELINUX=${mode}
# SELINUXTYPE= can take one of these three values:
#     targeted - Targeted processes are protected,
#     minimum - Modification of targeted policy. Only selected processes are protected.
#     mls - Multi Level Security protection.
SELINUXTYPE=targeted

`;
}

module.exports = { getenforce, setenforce, selinuxenabled, sestatus, boot, configMode, configFile, mode };
