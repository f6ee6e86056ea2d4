// The lab's stand-in for a user's own load balancer in front of the API servers (lab/hosts/tcp-balancer.js):
// one process in its own network namespace pk-<lab>-lb, on the lab's load balancer address, port 6443, forwarding to
// port 6443 of the hosts it balances (all of the lab's hosts unless named). Hosts reach it on the lab network;
// a stack uses it as controlPlaneEndpoint.
import { spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { connectLoadBalancer, labNetwork } from "./hosts/network";
import { isRunning, killAndWaitSync, readRecord, recordOf, writeRecord, type ProcessRecord } from "./hosts/processes";
import type { InventoryHost } from "./inventory";
import { labDir, loadBalancerNs } from "./names";
import { sleep } from "./run";

export const LOAD_BALANCER_PORT = 6443;
const BALANCER_SCRIPT = path.join(__dirname, "hosts", "tcp-balancer.js");

export interface LoadBalancerInfo {
  address: string;
  port: number;
  /** Host names whose port 6443 it forwards to. */
  backends: string[];
  check: LoadBalancerCheck;
}

const recordFile = (lab: string) => path.join(labDir(lab), "load-balancer.json");
const configFile = (lab: string) => path.join(labDir(lab), "load-balancer-config.json");
export const loadBalancerLog = (lab: string) => path.join(labDir(lab), "load-balancer.log");

export function isLoadBalancerRunning(lab: string): boolean {
  return isRunning(readRecord(recordFile(lab)));
}

/** Starts the balancer (and its namespace, when missing); resolves once it listens. */
/**
 * "readyz": a backend gets connections while its API server's /readyz answers 200 (kubeadm's HA guide's HAProxy
 * check); "tcp": while it accepts a TCP connection (for backends that are not API servers).
 */
export type LoadBalancerCheck = "readyz" | "tcp";

export async function startLoadBalancer(
  lab: string,
  backends: InventoryHost[],
  check: LoadBalancerCheck = "readyz",
): Promise<LoadBalancerInfo> {
  stopLoadBalancerSync(lab);
  await connectLoadBalancer(lab);
  fs.writeFileSync(
    configFile(lab),
    JSON.stringify(
      {
        listen: { address: labNetwork(lab).loadBalancer, port: LOAD_BALANCER_PORT },
        backends: backends.map((h) => ({ name: h.name, address: h.address, port: LOAD_BALANCER_PORT })),
        checkIntervalMs: 1000,
        check,
      },
      null,
      2,
    ),
  );
  const log = fs.openSync(loadBalancerLog(lab), "a");
  const child = spawn(
    "ip",
    ["netns", "exec", loadBalancerNs(lab), process.execPath, BALANCER_SCRIPT, configFile(lab)],
    { detached: true, stdio: ["ignore", log, log] },
  );
  fs.closeSync(log);
  child.unref();
  const record: ProcessRecord | undefined = child.pid !== undefined ? recordOf(child.pid) : undefined;
  if (!record) throw new Error(`lab ${lab}: the load balancer did not start (see ${loadBalancerLog(lab)})`);
  writeRecord(recordFile(lab), record);
  const deadline = Date.now() + 10_000;
  while (!/listening on/.test(readLog(lab))) {
    if (!isRunning(record) || Date.now() > deadline) {
      throw new Error(`lab ${lab}: the load balancer did not start listening: ${readLog(lab).trim() || "no output"}`);
    }
    await sleep(20);
  }
  return {
    address: labNetwork(lab).loadBalancer,
    port: LOAD_BALANCER_PORT,
    backends: backends.map((h) => h.name),
    check,
  };
}

function readLog(lab: string): string {
  try {
    return fs.readFileSync(loadBalancerLog(lab), "utf8");
  } catch {
    return "";
  }
}

export function stopLoadBalancerSync(lab: string): void {
  const record = readRecord(recordFile(lab));
  if (record) killAndWaitSync([record]);
  fs.rmSync(recordFile(lab), { force: true });
}
