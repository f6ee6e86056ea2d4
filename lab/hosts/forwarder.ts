// The machine reaches a host's sshd through one forwarder per host: socat listening on 127.0.0.1 that carries
// each connection into the host's network namespace (README, "Reaching a host from the machine").
import { spawn } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as path from "path";
import { hostNs } from "../names";
import { sleep } from "../run";
import { isRunning, killAndWaitSync, readRecord, recordOf, writeRecord, type ProcessRecord } from "./processes";

export const SSH_ADDRESS = "127.0.0.1";

export interface Forwarder extends ProcessRecord {
  port: number;
}

const recordFile = (dir: string): string => path.join(dir, "forwarder.json");

export function readForwarder(dir: string): Forwarder | undefined {
  const record = readRecord(recordFile(dir)) as Forwarder | undefined;
  return record && Number.isInteger(record.port) ? record : undefined;
}

export function isForwarderRunning(dir: string): boolean {
  return isRunning(readForwarder(dir));
}

/** A port that was free a moment ago; another process may take it first, hence the retries below. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, SSH_ADDRESS, () => {
      const address = server.address();
      server.close(() =>
        address && typeof address === "object" ? resolve(address.port) : reject(new Error("no port")),
      );
    });
  });
}

function isListening(port: number): boolean {
  const hex = `0100007F:${port.toString(16).toUpperCase().padStart(4, "0")}`;
  try {
    // Column 2 is the local address, column 4 the state (0A: LISTEN).
    return fs
      .readFileSync("/proc/net/tcp", "utf8")
      .split("\n")
      .some((line) => {
        const f = line.trim().split(/\s+/);
        return f[1] === hex && f[3] === "0A";
      });
  } catch {
    return false;
  }
}

/**
 * Starts the host's forwarder, on `preferredPort` when given and free (a restarted forwarder keeps the port
 * the inventory already names), otherwise on a free port.
 */
export async function startForwarder(
  lab: string,
  host: string,
  address: string,
  dir: string,
  preferredPort?: number,
): Promise<Forwarder> {
  const target = `ip netns exec ${hostNs(lab, host)} socat STDIO TCP:${address}:22`;
  let lastError = "";
  for (let attempt = 0; attempt < 8; attempt++) {
    const port = attempt === 0 && preferredPort ? preferredPort : await freePort();
    const log = fs.openSync(path.join(dir, "forwarder.log"), "a");
    const child = spawn("socat", [`TCP-LISTEN:${port},bind=${SSH_ADDRESS},fork,reuseaddr`, `EXEC:"${target}"`], {
      detached: true,
      stdio: ["ignore", log, log],
    });
    fs.closeSync(log);
    child.unref();
    const record = child.pid !== undefined ? recordOf(child.pid) : undefined;
    if (!record) continue;
    writeRecord(recordFile(dir), { ...record, port } as Forwarder);
    const deadline = Date.now() + 3000;
    while (isRunning(record) && !isListening(port) && Date.now() < deadline) await sleep(10);
    // Listening but by someone else (socat lost the race and is about to exit): look again a moment later.
    await sleep(20);
    if (isRunning(record) && isListening(port)) return { ...record, port };
    killAndWaitSync([record]);
    lastError = `port ${port} taken or socat failed (see ${path.join(dir, "forwarder.log")})`;
  }
  throw new Error(`host ${host}: no forwarder: ${lastError}`);
}

export function stopForwarderSync(dir: string): void {
  const record = readForwarder(dir);
  if (record) killAndWaitSync([record]);
  fs.rmSync(recordFile(dir), { force: true });
}

/**
 * Resolves once an SSH server answers through the forwarder with its banner; fails early when `alive` says
 * the host's init died (a broken boot), with `why()` for the message.
 */
export async function waitForSsh(
  port: number,
  timeoutMs: number,
  alive: () => boolean,
  why: () => string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = "";
  while (Date.now() < deadline) {
    if (!alive()) throw new Error(`host died while booting: ${why()}`);
    last = await banner(port).catch((e: Error) => e.message);
    if (last.startsWith("SSH-2.0-")) return;
    await sleep(100);
  }
  throw new Error(
    `no SSH banner on ${SSH_ADDRESS}:${port} after ${timeoutMs} ms (last: ${last || "nothing"}); ${why()}`,
  );
}

function banner(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: SSH_ADDRESS, port });
    let data = "";
    const done = (value: string | Error): void => {
      socket.destroy();
      if (value instanceof Error) reject(value);
      else resolve(value);
    };
    socket.setTimeout(3000, () => done(new Error("timeout")));
    socket.on("data", (chunk) => {
      data += chunk.toString("latin1");
      if (data.includes("\n")) done(data.split("\n")[0].trim());
    });
    socket.on("error", done);
    socket.on("close", () => done(data ? data.trim() : "closed without a banner"));
  });
}
