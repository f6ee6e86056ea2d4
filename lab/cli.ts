// The lab from the shell: `lab/lab <command>` (or `npx ts-node --transpile-only lab/cli.ts <command>`).
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { labNamespaces } from "./hosts/network";
import { inventoryPath, readInventory } from "./inventory";
import { hostSpecs, openLab, startLab, stopLabSync, type Lab } from "./controller";
import { parseSecurity } from "./spec";
import { DEFAULT_LAB, labDir } from "./names";
import { parseDuration } from "./shared";
import { writeHostsFile } from "./hosts-file";
import { writeDemoStackFile } from "./stack-config";
import { repoRoot } from "../tools/paths";
import { isLoadBalancerRunning } from "./load-balancer";
import { shellCommand } from "../config/quote";

const USAGE = `usage: lab <command> [--name <lab>]   (default lab name: ${DEFAULT_LAB})

  up <N> [--distro ubuntu|rocky|mixed|<d1,d2,...>] [--names a,b,c] [--concurrency 8] [--lb [--lb-hosts a,b]]
     [--rocky-security selinux=enforcing|permissive|disabled,firewalld] [--docker] [--minimal]
                        start N hosts (h1..hN unless named); a running lab of the same shape is left as is
                        (hosts or forwarders that died are brought back); --lb adds a TCP load balancer on
                        .252:6443 of the lab's block forwarding to port 6443 of every host (or of --lb-hosts) whose
                        API server's /readyz answers 200, the controlPlaneEndpoint of an HA stack; every host
                        boots real systemd (real containerd, kubelet, kubeadm), and the lab's registry mirror
                        serves their images on .15.253:5000 of the lab's block; --rocky-security makes every
                        rocky host start with SELinux in that mode and/or firewalld running (the lab's doubles);
                        --docker makes every ubuntu host start with Docker installed from Docker's apt repository
                        and running, --minimal without curl, gpg and ca-certificates
  down                  remove everything of the lab, whatever state it is in
  status                hosts, addresses, SSH ports, up/down
  inventory [--json]    the inventory's path (--json: its content)
  hosts-file [--control-plane N]
                        write .lab/<lab>/hosts.yaml (the stack key hostsFile): the first N hosts (default 1)
                        are control-plane nodes, the rest workers
  stack-file [--stack <name>] [--kubernetes-version <v>]
                        write stacks/Pulumi.<stack>.yaml (default: the lab's name) for a lab of real nodes,
                        unless it exists: the hosts file, the lab's mirrors, the seed's settings; at the pinned
                        Kubernetes version, or the previous one the lab also runs (tools/versions.env)
  exec <host> [--] command...
                        run a command as root inside a host, without SSH
  ssh <host> [--user root|kube] [command...]
                        OpenSSH into a host, host key verified against the inventory
  host down|up <host>   switch a host off / boot it again (a reboot: /run and /tmp empty, disk kept)
  clock show|advance <duration>|reset
                        the lab's clock offset (/lab/clock), e.g. advance 25h, advance 1h30m
  fault set <host> <command> <json>|clear [<host>]|show [<host>]
                        e.g. fault set h1 "apt-get install" '{"fail":"E: boom","exitCode":100}'

Each lab has its own /20 in 198.18.0.0/15, routed from this machine into the lab's switch (the default lab's is
198.18.0.0/20), so pulumi, kubectl and a browser here reach hosts, load balancer and registry directly.`;

interface Args {
  positional: string[];
  flags: Map<string, string | true>;
}

const VALUE_FLAGS = new Set([
  "stack",
  "name",
  "distro",
  "names",
  "concurrency",
  "user",
  "control-plane",
  "lb-hosts",
  "rocky-security",
  "kubernetes-version",
]);

export function parseArgs(argv: string[]): Args {
  const positional: string[] = [];
  const flags = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--") {
      positional.push(...argv.slice(i + 1));
      break;
    }
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(arg);
    if (!m) {
      positional.push(arg);
      continue;
    }
    if (m[2] !== undefined) flags.set(m[1], m[2]);
    else if (VALUE_FLAGS.has(m[1])) {
      if (i + 1 >= argv.length) throw new Error(`--${m[1]} needs a value`);
      flags.set(m[1], argv[++i]);
    } else flags.set(m[1], true);
  }
  return { positional, flags };
}

function flag(args: Args, name: string): string | undefined {
  const v = args.flags.get(name);
  if (v === true) throw new Error(`--${name} needs a value`);
  return v;
}

function table(rows: string[][]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows
    .map((r) =>
      r
        .map((cell, c) => cell.padEnd(widths[c]))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}

function printStatus(lab: Lab): void {
  const rows = [["HOST", "DISTRO", "ADDRESS", "SSH", "STATE"]];
  for (const s of lab.status()) {
    const state = s.up && s.reachable ? "up" : s.up ? "up (no forwarder)" : "down";
    rows.push([s.name, s.distro, s.address, `127.0.0.1:${s.sshPort}`, state]);
  }
  console.log(table(rows));
  const network = lab.network;
  console.log(`network ${network.cidr}, this machine ${network.machine}`);
  const registry = lab.inventory.registry;
  console.log(`registry mirror http://${registry.address}:${registry.port}`);
  const balancer = lab.inventory.loadBalancer;
  if (balancer) {
    const state = isLoadBalancerRunning(lab.name) ? "up" : "down";
    console.log(
      `load balancer ${balancer.address}:${balancer.port} -> ${balancer.backends.join(", ")}:6443 (${state})`,
    );
  }
}

async function main(argv: string[]): Promise<number> {
  const args = parseArgs(argv);
  const [command, ...rest] = args.positional;
  const name = flag(args, "name") ?? DEFAULT_LAB;
  switch (command) {
    case "up": {
      const names = flag(args, "names")
        ?.split(",")
        .map((n) => n.trim());
      const count = rest[0] !== undefined ? Number(rest[0]) : undefined;
      const security = flag(args, "rocky-security");
      const ubuntuKind = {
        ...(args.flags.has("docker") ? { docker: true } : {}),
        ...(args.flags.has("minimal") ? { minimal: true } : {}),
      };
      const hosts = hostSpecs(count, flag(args, "distro") ?? "ubuntu", names).map((h) =>
        security && h.distro === "rocky"
          ? { ...h, ...parseSecurity(security) }
          : h.distro === "ubuntu"
            ? { ...h, ...ubuntuKind }
            : h,
      );
      const lbHosts = flag(args, "lb-hosts")
        ?.split(",")
        .map((n) => n.trim());
      const loadBalancer = lbHosts ? { hosts: lbHosts } : args.flags.has("lb");
      const started = Date.now();
      const lab = await startLab(
        {
          name,
          hosts,
          loadBalancer,
        },
        {
          reuse: true,
          stopOnExit: false,
          concurrency: Number(flag(args, "concurrency") ?? 8),
          onProgress: (m) => process.stderr.write(`${m}\n`),
        },
      );
      process.stderr.write(`lab ${name} ready in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
      printStatus(lab);
      console.log(`inventory: ${lab.inventoryPath}`);
      return 0;
    }
    case "down": {
      stopLabSync(name);
      console.log(`lab ${name} removed`);
      return 0;
    }
    case "status": {
      if (!readInventory(name)) {
        const leftovers = labNamespaces(name);
        const state = fs.existsSync(labDir(name)) ? `state dir ${labDir(name)}` : "";
        if (leftovers.length || state) {
          console.log(
            `lab ${name} is not running but left ${[...leftovers, state].filter(Boolean).join(", ")}: run 'lab down --name ${name}'`,
          );
          return 1;
        }
        console.log(`lab ${name} is not running`);
        return 1;
      }
      printStatus(openLab(name));
      return 0;
    }
    case "inventory": {
      const inventory = readInventory(name);
      if (!inventory) throw new Error(`lab ${name} is not running`);
      console.log(args.flags.has("json") ? JSON.stringify(inventory, null, 2) : inventoryPath(name));
      return 0;
    }
    case "hosts-file": {
      const inventory = readInventory(name);
      if (!inventory) throw new Error(`lab ${name} is not running: start it with 'lab up'`);
      console.log(writeHostsFile(inventory, Number(flag(args, "control-plane") ?? "1")));
      return 0;
    }
    case "stack-file": {
      const inventory = readInventory(name);
      if (!inventory) throw new Error(`lab ${name} is not running: start it with 'lab up'`);
      const stack = flag(args, "stack") ?? name;
      const file = path.join(repoRoot, "stacks", `Pulumi.${stack}.yaml`);
      const version = flag(args, "kubernetes-version");
      const written = writeDemoStackFile(file, inventory, "pulumi-kubeadm", version);
      console.log(written ? `${file} written` : `${file} kept`);
      return 0;
    }
    case "exec": {
      const [host, ...cmd] = rest;
      if (!host || cmd.length === 0) throw new Error("usage: lab exec <host> command...");
      const result = await openLab(name).exec(host, shellCommand(cmd));
      process.stdout.write(result.stdout);
      process.stderr.write(result.stderr);
      return result.code;
    }
    case "ssh": {
      const [host, ...cmd] = rest;
      if (!host) throw new Error("usage: lab ssh <host> [--user root|kube] [command...]");
      const lab = openLab(name);
      const result = spawnSync("ssh", [...lab.sshArgs(host, flag(args, "user") ?? "root"), ...cmd], {
        stdio: "inherit",
      });
      return result.status ?? 255;
    }
    case "host": {
      const [action, host] = rest;
      const lab = openLab(name);
      if (!host || (action !== "down" && action !== "up")) throw new Error("usage: lab host down|up <host>");
      await (action === "down" ? lab.hostDown(host) : lab.hostUp(host));
      console.log(`${host} ${action}`);
      return 0;
    }
    case "clock": {
      const lab = openLab(name);
      const [action, duration] = rest;
      if (action === "advance") {
        if (!duration) throw new Error("usage: lab clock advance <duration>");
        lab.advanceClock(parseDuration(duration));
      } else if (action === "reset") lab.resetClock();
      else if (action !== "show" && action !== undefined)
        throw new Error("usage: lab clock show|advance <duration>|reset");
      const offset = lab.clock();
      console.log(`offset ${offset} s; lab time ${new Date(Date.now() + offset * 1000).toISOString()}`);
      return 0;
    }
    case "fault": {
      const lab = openLab(name);
      const [action, host, cmd, json] = rest;
      if (action === "set") {
        if (!host || !cmd || !json)
          throw new Error(
            'usage: lab fault set <host> <command> <json>, e.g. h1 "apt-get install" \'{"fail":"E: boom"}\'',
          );
        lab.setFault(host, cmd, JSON.parse(json));
      } else if (action === "clear") lab.clearFaults(host);
      else if (action !== "show")
        throw new Error("usage: lab fault set <host> <command> <json>|clear [<host>]|show [<host>]");
      const hosts = host ? [host] : lab.inventory.hosts.map((h) => h.name);
      const shown = Object.fromEntries(
        hosts.map((h) => [h, lab.faults(h)]).filter(([, f]) => Object.keys(f).length > 0),
      );
      console.log(JSON.stringify(shown, null, 2));
      return 0;
    }
    case undefined:
    case "help":
    case "--help":
      console.log(USAGE);
      return command === undefined ? 2 : 0;
    default:
      throw new Error(`unknown command ${JSON.stringify(command)}\n${USAGE}`);
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: Error) => {
      process.stderr.write(`lab: ${error.message}\n`);
      process.exit(1);
    },
  );
}
