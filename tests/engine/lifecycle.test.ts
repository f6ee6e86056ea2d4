// The seed's workflow in Pulumi terms, on the lab with the real engine: preview, the first up, a no-change
// up, adding a worker, removing one, destroy. Each step is checked from the hosts' side as well: what ran
// where, and whether a host is as clean as before the first up.
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { LabStack } from "../support/lab-stack";
import { labDir } from "../../lab/names";

const CONTROL_PLANE = "cp1";
const HOSTS = [
  { name: CONTROL_PLANE, distro: "ubuntu" as const },
  { name: "w1", distro: "rocky" as const },
  { name: "w2", distro: "ubuntu" as const },
  { name: "w3", distro: "rocky" as const },
  { name: "w4", distro: "ubuntu" as const },
];
const FIRST_WORKERS = ["w1", "w2", "w3"];

/** Lines only in `after` and lines only in `before`: what a step left behind or took away. */
function difference(before: string | undefined, after: string): { added: string[]; removed: string[] } {
  const was = new Set((before ?? "").split("\n"));
  const is = new Set(after.split("\n"));
  return { added: [...is].filter((line) => !was.has(line)), removed: [...was].filter((line) => !is.has(line)) };
}

describe("cluster lifecycle on the lab (real engine, real sshd)", function () {
  this.timeout(600_000);
  let lab: LabStack;
  const clean = new Map<string, string>();

  before(async () => {
    lab = await LabStack.start({ lab: "lifecycle", hosts: HOSTS });
    for (const host of HOSTS) clean.set(host.name, await lab.snapshot(host.name));
    lab.declareHosts([CONTROL_PLANE], FIRST_WORKERS);
  });

  after(async () => {
    await lab?.stop();
  });

  it("previews every resource without contacting any host", async () => {
    const result = await lab.preview();
    // Per host: 7 preparation steps (+1 image pull on the control plane); the CA, the init, 3 joins,
    // and the components around them.
    assert.ok((result.changeSummary.create ?? 0) >= 4 * 7 + 1 + 1 + 1 + 3, JSON.stringify(result.changeSummary));
    for (const host of HOSTS) {
      assert.equal(lab.logins(host.name), 0, `${host.name} was contacted during preview`);
      assert.deepEqual(lab.commands(host.name), [], `commands ran on ${host.name} during preview`);
    }
  });

  it("builds one control plane and three workers", async () => {
    const result = await lab.up();
    assert.equal(result.summary.result, "succeeded");
    assert.deepEqual(await lab.nodeNames(), [CONTROL_PLANE, ...FIRST_WORKERS].sort());
    const kubeconfig = (result.outputs.kubeconfig?.value as string) ?? "";
    assert.ok(result.outputs.kubeconfig?.secret, "the kubeconfig output must be a secret");
    assert.match(kubeconfig, new RegExp(`server: https://${lab.lab.host(CONTROL_PLANE).address}:6443`));
  });

  it("keeps secrets out of the state, the engine's output and the hosts' logs", async () => {
    const outputs = await lab.stack.outputs();
    const kubeconfig = outputs.kubeconfig.value as string;
    const clientKey = /client-key-data: (\S+)/.exec(kubeconfig)?.[1];
    assert.ok(clientKey, "kubeconfig has a client key");
    const sshKey = fs.readFileSync(lab.lab.inventory.privateKeyPath, "utf8");
    const sshKeyBody = sshKey.split("\n").filter((line) => line && !line.startsWith("-----"));
    // The CLI's own export (the Automation API's exportStack decrypts secrets).
    const state = lab.project.cli(["stack", "export", "--stack", "lab"]);
    const caKey = /"keyPem":\s*"([^"]+)"/.exec(state)?.[1];
    assert.equal(caKey, undefined, "the CA key must be stored encrypted, not as plain keyPem");

    const hostLogs = HOSTS.map((host) => {
      const dir = path.join(labDir(lab.lab.name), "hosts", host.name);
      const logs = [path.join(dir, "sshd.log"), path.join(dir, "upper", "var", "log", "lab", "commands.log")];
      return logs
        .filter((file) => fs.existsSync(file))
        .map((file) => fs.readFileSync(file, "utf8"))
        .join("\n");
    }).join("\n");

    const secrets = {
      "the kubeconfig's client key": clientKey,
      "the SSH private key": sshKeyBody.slice(1, 3).join(""),
    };
    for (const [where, text] of [
      ["stack export", state],
      ["engine output", lab.output],
      ["host logs", hostLogs],
    ] as const) {
      const flat = text.replace(/\\n|\n/g, "");
      for (const [what, secret] of Object.entries(secrets)) {
        assert.ok(!flat.includes(secret), `${what} appears in the ${where}`);
      }
    }
    // Bootstrap tokens are printed by kubeadm itself; whatever the hosts logged, the engine output must
    // not carry any in full.
    assert.doesNotMatch(lab.output, /\b[a-z0-9]{6}\.[a-z0-9]{16}\b/, "a bootstrap token appears in the engine output");
  });

  it("changes nothing on a second up", async () => {
    const ran = HOSTS.map((host) => lab.commands(host.name).length);
    const logins = HOSTS.map((host) => lab.logins(host.name));
    const result = await lab.up();
    const changes = Object.entries(result.summary.resourceChanges ?? {}).filter(([op]) => op !== "same");
    assert.deepEqual(changes, []);
    assert.deepEqual(
      HOSTS.map((host) => lab.commands(host.name).length),
      ran,
    );
    assert.deepEqual(
      HOSTS.map((host) => lab.logins(host.name)),
      logins,
    );
  });

  it("joins an added worker and touches no other worker", async () => {
    const others = FIRST_WORKERS.map((name) => lab.commands(name).length);
    lab.declareHosts([CONTROL_PLANE], [...FIRST_WORKERS, "w4"]);
    await lab.up();
    assert.ok((await lab.nodeNames()).includes("w4"));
    assert.deepEqual(
      FIRST_WORKERS.map((name) => lab.commands(name).length),
      others,
    );
    const minted = lab.commands(CONTROL_PLANE).filter((line) => / kubeadm token create /.test(line));
    assert.ok(minted.length >= 4, "every join mints its own token on the control plane");
  });

  it("drains, deletes and resets a removed worker, and only it", async () => {
    const untouched = ["w1", "w3", "w4"];
    const others = untouched.map((name) => lab.commands(name).length);
    lab.declareHosts([CONTROL_PLANE], untouched);
    await lab.up();
    const controlPlaneLog = lab.commands(CONTROL_PLANE).join("\n");
    assert.match(controlPlaneLog, /kubectl .*drain w2/);
    assert.match(controlPlaneLog, /kubectl .*delete node w2/);
    assert.deepEqual(await lab.nodeNames(), [CONTROL_PLANE, ...untouched].sort());
    assert.deepEqual(
      untouched.map((name) => lab.commands(name).length),
      others,
    );
    assert.deepEqual(difference(clean.get("w2"), await lab.snapshot("w2")), { added: [], removed: [] });
  });

  it("leaves every host as clean as before the first up on destroy", async () => {
    const result = await lab.destroy();
    assert.equal(result.summary.result, "succeeded");
    for (const host of HOSTS) {
      const left = difference(clean.get(host.name), await lab.snapshot(host.name));
      assert.deepEqual({ host: host.name, ...left }, { host: host.name, added: [], removed: [] });
    }
  });
});
