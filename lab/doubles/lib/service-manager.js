"use strict";
/*
 * Who starts and stops the services a package brings (Debian's postinst enables and starts kubelet and
 * containerd; removal stops and disables them). On a real node the host's PID 1 is the real systemd, so the
 * package doubles ask it through the real systemctl; elsewhere the systemctl double's state (units.js) is the
 * service manager. Same interface either way: findUnit, enable (returns systemctl's messages), start, stop,
 * disable.
 */
const fs = require("fs");
const { spawnSync } = require("child_process");
const lab = require("./double.js");

/** sd_booted(): systemd runs as PID 1 of this host (and the double is not run against a test's fs root). */
function realSystemd() {
  return lab.fsPath("/") === "/" && fs.existsSync("/run/systemd/system");
}

function systemctl(...args) {
  const r = spawnSync("/usr/bin/systemctl", args, { encoding: "utf8", timeout: 120000 });
  return { code: r.status === null ? 1 : r.status, text: `${r.stdout || ""}${r.stderr || ""}` };
}

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

module.exports = function serviceManager() {
  return realSystemd() ? real : require("./units.js");
};
