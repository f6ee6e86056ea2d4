// The lab network seen from the machine: each lab's block is routed into that lab's switch, so clients here
// (pulumi, kubectl, a browser) reach lab addresses directly, and an address of the lab range that no running lab
// holds is refused on the machine instead of leaving it by the default route.
import { strict as assert } from "assert";
import { execFileSync } from "child_process";
import * as net from "net";
import { startLab, type Lab } from "../../lab";
import { LAB_RANGE, machineLink } from "../../lab/names";

const HOSTS = [{ name: "h1", distro: "ubuntu" as const }];

function routeTo(address: string): string {
  try {
    return execFileSync("ip", ["route", "get", address], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  } catch (error) {
    return `error: ${String((error as { stderr?: string }).stderr ?? error).trim()}`;
  }
}

function guardMetrics(): number[] {
  const out = execFileSync("ip", ["route", "show", "exact", LAB_RANGE, "type", "unreachable"], { encoding: "utf8" });
  return [...out.matchAll(/metric (\d+)/g)].map((m) => Number(m[1]));
}

/** The first bytes a TCP server at address:port sends (sshd's banner), or the connection's error code. */
function banner(address: string, port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: address, port, timeout: 5000 });
    socket.once("data", (data) => {
      resolve(data.toString("latin1").split("\r\n")[0]);
      socket.destroy();
    });
    socket.once("timeout", () => {
      resolve("timeout");
      socket.destroy();
    });
    socket.once("error", (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}

describe("lab network, seen from the machine", function () {
  this.timeout(120_000);
  let first: Lab | undefined;
  let second: Lab | undefined;

  before(async () => {
    [first, second] = await Promise.all([
      startLab({ name: "netone", hosts: HOSTS }),
      startLab({ name: "nettwo", hosts: HOSTS }),
    ]);
  });

  after(async () => {
    await first?.stop();
    await second?.stop();
  });

  it("gives labs that run at once blocks of their own, none of them the default lab's", () => {
    const blocks = [first!.network.block, second!.network.block];
    assert.notEqual(blocks[0], blocks[1]);
    assert.ok(!blocks.includes(0), `block 0 is the default lab's: ${blocks.join(", ")}`);
    assert.notEqual(first!.host("h1").address, second!.host("h1").address);
  });

  it("routes each lab's block into its own switch and reaches its hosts' sshd directly", async () => {
    for (const lab of [first!, second!]) {
      const address = lab.host("h1").address;
      assert.match(routeTo(address), new RegExp(`dev ${machineLink(lab.network.block)} src ${lab.network.machine}`));
      assert.match(await banner(address, 22), /^SSH-2\.0-OpenSSH/);
    }
  });

  it("refuses, on the machine, an address of the lab range that no lab holds", async () => {
    const free = "198.19.255.200"; // in block 31, which the lab tests never reach
    assert.match(routeTo(free), /error: .*(unreachable|No route to host)/i);
    assert.notEqual(routeTo(free).includes(" via "), true, "no gateway, so not the default route");
    assert.match(await banner(free, 22), /^E(HOST|NET)UNREACH$/);
  });

  it("takes its link and its guard route away with it", async () => {
    const block = second!.network.block;
    assert.ok(guardMetrics().includes(1000 + block));
    await second!.stop();
    second = undefined;
    assert.match(routeTo(first!.host("h1").address), new RegExp(`dev ${machineLink(first!.network.block)}`));
    assert.ok(!guardMetrics().includes(1000 + block), `guard route of block ${block} removed`);
    assert.throws(() => execFileSync("ip", ["link", "show", machineLink(block)], { stdio: "ignore" }));
  });
});
