"use strict";
/*
 * Who starts and stops the services a package brings (Debian's postinst enables and starts kubelet and
 * containerd; removal stops and disables them): the host's real systemd, through the real systemctl. Run against
 * a test's fs root (tests/lab/doubles-harness.ts) there is no systemd to ask, so the requests are recorded in
 * $LAB_STATE/services.json ({ "<unit>": { "enabled": bool, "started": bool } }) for the test to read.
 * Same interface either way: findUnit, enable (returns systemctl's messages), start, stop, disable.
 */
const fs = require("fs");
const { spawnSync } = require("child_process");
const lab = require("./double.js");

/** sd_booted(): systemd runs as PID 1 of this host (and the double is not run against a test's fs root). */
function realSystemd() {
  return lab.fsPath("/") === "/" && fs.existsSync("/run/systemd/system");
}

/** @param {string[]} args */
function systemctl(...args) {
  const r = spawnSync("/usr/bin/systemctl", args, { encoding: "utf8", timeout: 120000 });
  return { code: r.status === null ? 1 : r.status, text: `${r.stdout || ""}${r.stderr || ""}` };
}

/**
 * @typedef {{
 *   findUnit(unit: string): boolean,
 *   enable(unit: string): string[],
 *   start(unit: string): void,
 *   stop(unit: string): void,
 *   disable(unit: string): void,
 * }} ServiceManager
 */

/** @type {ServiceManager} */
const real = {
  findUnit(unit) {
    systemctl("daemon-reload");
    return systemctl("cat", unit).code === 0;
  },
  enable(unit) {
    return systemctl("enable", unit).text.split("\n").filter(Boolean);
  },
  // Like deb-systemd-invoke: a service that fails to start (a kubelet without its config) fails the start
  // only, not the package's installation.
  start(unit) {
    systemctl("start", unit);
  },
  stop(unit) {
    systemctl("stop", unit);
  },
  disable(unit) {
    systemctl("disable", unit);
  },
};

const UNIT_DIRS = ["/etc/systemd/system", "/usr/lib/systemd/system", "/lib/systemd/system"];

/** @param {string} unit */
function recordedUnitFile(unit) {
  return UNIT_DIRS.map((d) => `${d}/${unit}`).find((f) => fs.existsSync(lab.fsPath(f)));
}

/**
 * @param {string} unit
 * @param {{ enabled?: boolean, started?: boolean }} change
 */
function record(unit, change) {
  const none = /** @type {Record<string, { enabled?: boolean, started?: boolean }>} */ ({});
  lab.updateJson(lab.statePath("services.json"), none, (services) => {
    services[unit] = { enabled: false, started: false, ...services[unit], ...change };
    return services;
  });
}

/** @type {ServiceManager} */
const recorded = {
  findUnit(unit) {
    return recordedUnitFile(unit) !== undefined;
  },
  enable(unit) {
    record(unit, { enabled: true });
    return [`Created symlink /etc/systemd/system/multi-user.target.wants/${unit} → ${recordedUnitFile(unit)}.`];
  },
  start(unit) {
    record(unit, { started: true });
  },
  stop(unit) {
    record(unit, { started: false });
  },
  disable(unit) {
    record(unit, { enabled: false });
  },
};

/** @returns {ServiceManager} */
module.exports = function serviceManager() {
  return realSystemd() ? real : recorded;
};
