// The lab's load balancer: its own namespace on the lab network, forwarding port 6443 to the hosts that answer
// there (round-robin), passing over one that stops answering, and leaving nothing behind.
import { strict as assert } from "assert";
import { execFileSync } from "child_process";
import { startLab, type Lab } from "../../lab";
import { loadBalancerNs } from "../../lab/names";

const LAB = "lbtest";
const SERVER = (name: string) =>
  `require("net").createServer((s) => { s.on("error", () => {}); s.end(${JSON.stringify(name)} + "\\n"); })` +
  ".listen(6443, process.argv[1])";

describe("lab load balancer", function () {
  this.timeout(120_000);
  let lab: Lab | undefined;

  /** One connection to the load balancer from inside `host`: what the backend said. */
  async function ask(host: string): Promise<string> {
    const client =
      `const s = require("net").connect(6443, ${JSON.stringify(lab!.network.loadBalancer)}); let d = "";` +
      `s.on("data", (c) => (d += c)); s.on("end", () => process.stdout.write(d.trim()));` +
      `s.on("error", (e) => { process.stdout.write("error " + e.code); });`;
    return (await lab!.run(host, `node -e '${client}'`)).trim();
  }

  async function serve(host: string): Promise<void> {
    const address = lab!.host(host).address;
    await lab!.run(host, `nohup node -e '${SERVER(host)}' ${address} >/dev/null 2>&1 & echo $! > /run/lb-test.pid`);
    await new Promise((resolve) => setTimeout(resolve, 1500));
  }

  before(async () => {
    lab = await startLab({
      name: LAB,
      hosts: [
        { name: "a", distro: "ubuntu" },
        { name: "b", distro: "ubuntu" },
        { name: "c", distro: "ubuntu" },
      ],
      loadBalancer: { hosts: ["a", "b"], check: "tcp" },
    });
  });

  after(async () => {
    await lab?.stop();
  });

  it("is in the inventory and in its own namespace on the lab network", () => {
    const address = lab!.network.loadBalancer;
    assert.deepEqual(lab!.inventory.loadBalancer, {
      address,
      port: 6443,
      backends: ["a", "b"],
      check: "tcp",
    });
    assert.equal(lab!.loadBalancerEndpoint(), `${address}:6443`);
    const addresses = execFileSync("ip", ["-n", loadBalancerNs(LAB), "-o", "addr", "show", "eth0"], {
      encoding: "utf8",
    });
    assert.match(addresses, new RegExp(`inet ${address.replace(/\./g, "\\.")}/20`));
  });

  it("forwards to the backends that answer, round-robin, and passes over one that stops", async () => {
    await serve("a");
    await serve("b");
    const answers = new Set<string>();
    for (let i = 0; i < 6; i++) answers.add(await ask("c"));
    assert.deepEqual([...answers].sort(), ["a", "b"]);
    await lab!.run("a", "kill $(cat /run/lb-test.pid)");
    for (let i = 0; i < 4; i++) assert.equal(await ask("c"), "b", "every connection reaches b while a is down");
  });

  it("comes back with `up` (repair) after its process died, and goes with the lab", async () => {
    const pid = execFileSync("ip", ["netns", "pids", loadBalancerNs(LAB)], { encoding: "utf8" }).trim();
    assert.match(pid, /^\d+$/);
    process.kill(Number(pid), "SIGKILL");
    await new Promise((resolve) => setTimeout(resolve, 200));
    const again = await startLab(
      {
        name: LAB,
        hosts: lab!.inventory.hosts.map((h) => ({ name: h.name, distro: h.distro })),
        loadBalancer: { hosts: ["a", "b"], check: "tcp" },
      },
      { reuse: true, stopOnExit: false },
    );
    await new Promise((resolve) => setTimeout(resolve, 1500));
    assert.equal(await ask("c"), "b");
    assert.equal(again.name, LAB);
    await lab!.stop();
    assert.ok(!execFileSync("ip", ["netns", "list"], { encoding: "utf8" }).includes(loadBalancerNs(LAB)));
    lab = undefined;
  });
});
