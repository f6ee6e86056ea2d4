"use strict";
// systemctl double: daemon-reload, enable/disable [--now], start, stop, restart, reload, try-restart,
// is-active [-q], is-enabled [-q], is-failed, status, show -p ActiveState/UnitFileState. See lib/units.js.
const lab = require("./double.js");
const units = require("./units.js");

const OPTS_WITH_VALUE = new Set([
  "-p",
  "--property",
  "-t",
  "--type",
  "-n",
  "--lines",
  "-o",
  "--output",
  "-H",
  "--host",
  "-M",
  "--machine",
  "--signal",
  "-s",
  "--state",
]);

function weekday(d) {
  return ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"][d.getUTCDay()];
}

function since(iso) {
  if (!iso) return "";
  const d = new Date(iso);
  const ago = Math.max(0, Math.round((lab.now() - d) / 1000));
  const p = (n) => String(n).padStart(2, "0");
  const stamp = `${weekday(d)} ${d.getUTCFullYear()}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} UTC`;
  const agoText =
    ago < 60
      ? `${ago}s ago`
      : ago < 3600
        ? `${Math.floor(ago / 60)}min ${ago % 60}s ago`
        : `${Math.floor(ago / 3600)}h ago`;
  return ` since ${stamp}; ${agoText}`;
}

function main(ctx) {
  const argv = ctx.argv;
  const flags = new Set();
  const args = [];
  const props = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (OPTS_WITH_VALUE.has(a)) {
      if (a === "-p" || a === "--property") props.push(...argv[i + 1].split(","));
      i++;
    } else if (a.startsWith("--property=")) props.push(...a.slice(11).split(","));
    else if (a.startsWith("-") && a !== "-") flags.add(a);
    else args.push(a);
  }
  const quiet = flags.has("-q") || flags.has("--quiet");
  const now = flags.has("--now");
  const [verb, ...names] = args;
  const list = names.map(units.unitName);
  const root = typeof process.getuid !== "function" || Number(process.env.LAB_UID || process.getuid()) === 0;

  const needRoot = (what) => {
    if (!root)
      ctx.fail(
        `Failed to ${what}: Interactive authentication required.${what !== "reload daemon" && !what.endsWith(" unit") ? `\nSee system logs and 'systemctl status ${list[0]}' for details.` : ""}`,
        1,
      );
  };

  const doStart = (u, verbWord) => {
    ctx.fault(`systemctl start ${u.replace(/\.service$/, "")}`);
    const info = units.findUnit(u);
    if (!info) ctx.fail(`Failed to ${verbWord} ${u}: Unit ${u} not found.`, 5);
    if (info.masked) ctx.fail(`Failed to ${verbWord} ${u}: Unit ${u} is masked.`, 1);
    const r = units.start(u);
    if (!r.ok) {
      ctx.fail(
        `Job for ${u} failed because the control process exited with error code.\nSee "systemctl status ${u}" and "journalctl -xeu ${u}" for details.`,
        1,
      );
    }
  };

  switch (verb) {
    case undefined:
    case "list-units":
      return 0;
    case "daemon-reload":
    case "daemon-reexec":
      needRoot("reload daemon");
      return 0;
    case "enable":
    case "disable":
    case "reenable": {
      if (!list.length) ctx.fail("Too few arguments.", 1);
      needRoot(`${verb} unit`);
      for (const u of list) {
        const info = units.findUnit(u);
        if (!info) ctx.fail(`Failed to ${verb} unit: Unit file ${u} does not exist.`, 1);
      }
      const msgs = [];
      for (const u of list) {
        if (verb !== "enable") msgs.push(...units.disable(u));
        if (verb !== "disable") msgs.push(...units.enable(u));
        const info = units.findUnit(u);
        if (verb === "enable" && !info.wantedBy.length) {
          msgs.push(
            `The unit files have no installation config (WantedBy=, RequiredBy=, UpheldBy=,\nAlso=, or Alias= settings in the [Install] section, and DefaultInstance= for\ntemplate units). This means they are not meant to be enabled or disabled using systemctl.`,
          );
        }
      }
      if (!quiet && msgs.length) ctx.err(msgs.join("\n") + "\n");
      if (now) {
        for (const u of list) {
          if (verb === "disable") {
            ctx.fault(`systemctl stop ${u.replace(/\.service$/, "")}`);
            units.stop(u);
          } else doStart(u, "start");
        }
      }
      return 0;
    }
    case "start":
    case "restart":
    case "reload-or-restart":
    case "try-restart":
    case "stop":
    case "reload": {
      if (!list.length) ctx.fail("Too few arguments.", 1);
      needRoot(`${verb} ${list[0]}`);
      for (const u of list) {
        if (verb === "stop") {
          const info = units.findUnit(u);
          const st = units.readState(u);
          if (!info && !st.started) ctx.fail(`Failed to stop ${u}: Unit ${u} not loaded.`, 5);
          units.stop(u);
          continue;
        }
        if (verb === "try-restart" && units.state(u).state === "inactive") continue;
        if (verb === "reload") {
          const info = units.findUnit(u);
          if (!info) ctx.fail(`Failed to reload ${u}: Unit ${u} not found.`, 5);
          if (units.state(u).state !== "active")
            ctx.fail(`Failed to reload ${u}: Job type reload is not applicable for unit ${u}.`, 1);
          continue;
        }
        if (verb !== "start" && units.findUnit(u)) units.stop(u);
        doStart(u, verb === "start" ? "start" : "restart");
      }
      return 0;
    }
    case "is-active":
    case "is-failed": {
      let any = false;
      const lines = [];
      for (const u of list) {
        const st = units.findUnit(u) || units.readState(u).started ? units.state(u).state : "inactive";
        lines.push(st);
        if (verb === "is-active" ? st === "active" : st === "failed") any = true;
      }
      if (!quiet && lines.length) ctx.out(lines.join("\n") + "\n");
      return any ? 0 : verb === "is-active" ? 3 : 1;
    }
    case "is-enabled": {
      let code = 1;
      const lines = [];
      for (const u of list) {
        const e = units.isEnabled(u);
        if (e === null) ctx.fail(`Failed to get unit file state for ${u}: No such file or directory`, 1);
        lines.push(e);
        if (e === "enabled" || e === "static") code = 0;
      }
      if (!quiet) ctx.out(lines.join("\n") + "\n");
      return code;
    }
    case "show": {
      const out = [];
      for (const u of list) {
        const st = units.state(u);
        const all = {
          Id: u,
          LoadState: units.findUnit(u) ? "loaded" : "not-found",
          ActiveState: st.state,
          SubState: { active: "running", inactive: "dead", failed: "failed", activating: "auto-restart" }[st.state],
          UnitFileState: units.isEnabled(u) || "",
          MainPID: String(st.pid || 0),
        };
        const keys = props.length ? props : Object.keys(all);
        for (const k of keys) out.push(flags.has("--value") ? `${all[k] ?? ""}` : `${k}=${all[k] ?? ""}`);
      }
      ctx.out(out.join("\n") + "\n");
      return 0;
    }
    case "status": {
      let code = 0;
      const blocks = [];
      for (const u of list) {
        const info = units.findUnit(u);
        if (!info) {
          ctx.err(`Unit ${u} could not be found.\n`);
          code = 4;
          continue;
        }
        const st = units.state(u);
        const en = units.isEnabled(u);
        const active = {
          active: `active (running)${since(st.since)}`,
          inactive: `inactive (dead)${st.since ? since(st.since) : ""}`,
          failed: `failed (Result: exit-code)${since(st.since)}`,
          activating: `activating (auto-restart) (Result: exit-code)${since(st.since)}`,
        }[st.state];
        const dot = { active: "●", activating: "●", failed: "×" }[st.state] || "○";
        const lines = [`${dot} ${u} - ${info.description || u}`];
        lines.push(`     Loaded: loaded (${info.path}; ${en}; preset: enabled)`);
        if (info.dropins.length) {
          const byDir = {};
          for (const d of info.dropins)
            (byDir[d.slice(0, d.lastIndexOf("/"))] = byDir[d.slice(0, d.lastIndexOf("/"))] || []).push(
              d.slice(d.lastIndexOf("/") + 1),
            );
          let first = true;
          for (const [dir, files] of Object.entries(byDir)) {
            lines.push(`${first ? "    Drop-In: " : "             "}${dir}`);
            lines.push(`             └─${files.join(", ")}`);
            first = false;
          }
        }
        lines.push(`     Active: ${active}`);
        const docs = info.sections.Unit && info.sections.Unit.Documentation;
        if (docs) lines.push(`       Docs: ${docs}`);
        if (st.state === "active" && st.pid) lines.push(`   Main PID: ${st.pid} (${u.replace(/\.service$/, "")})`);
        const j = units.journalLines(u, 10);
        if (j.length) lines.push("", ...j);
        if (st.reason && !j.some((l) => l.includes(st.reason)))
          lines.push(`${lab.now().toISOString()} ${ctx.host} ${u.replace(/\.service$/, "")}: ${st.reason}`);
        blocks.push(lines.join("\n"));
        if (st.state !== "active" && code === 0) code = 3;
      }
      if (blocks.length) ctx.out(blocks.join("\n\n") + "\n");
      return code;
    }
    case "mask":
    case "unmask":
      ctx.fail(`lab double: systemctl ${verb} is not played by the lab`, 1);
      return 1;
    default:
      ctx.fail(`Unknown command verb '${verb}'.`, 1);
      return 1;
  }
}

module.exports = { main };
