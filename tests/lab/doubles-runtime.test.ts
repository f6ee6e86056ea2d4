// The doubles' shared runtime (lab/doubles/lib/double.js): command log, faults, durations, the sh prelude.
import { strict as assert } from "assert";
import * as path from "path";
import { DOUBLES, DoublesLab } from "./doubles-harness";

describe("lab doubles: shared runtime", function () {
  this.timeout(60000);
  let lab: DoublesLab;
  beforeEach(() => (lab = new DoublesLab("ubuntu")));
  afterEach(() => lab.cleanup());

  it("logs one line per invocation with time, uid and the quoted argv", () => {
    lab.run("modprobe", ["br_netfilter"]);
    lab.run("sysctl", ["-w", "net.ipv4.ip_forward=1"]);
    lab.run("modprobe", ["my module"]);
    const lines = lab.commands();
    assert.equal(lines.length, 3);
    assert.match(lines[0], /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z uid=\d+ modprobe br_netfilter$/);
    assert.match(lines[1], / sysctl -w net\.ipv4\.ip_forward=1$/);
    assert.match(lines[2], / modprobe 'my module'$/);
  });

  it("shifts logged times by /lab/clock", () => {
    lab.labWrite("clock", "86400");
    lab.run("lsmod");
    const t = Date.parse(lab.commands()[0].split(" ")[0]);
    assert.ok(t - Date.now() > 86000 * 1000, "the lab clock is a day ahead");
  });

  it("fault fail: message on stderr, exit 1 (or exitCode), nothing done", () => {
    lab.labWrite("faults/h1.json", { "modprobe br_netfilter": { fail: "modprobe: ERROR: lab says no" } });
    const r = lab.run("modprobe", ["br_netfilter"]);
    assert.equal(r.code, 1);
    assert.equal(r.stderr, "modprobe: ERROR: lab says no\n");
    assert.equal(lab.run("lsmod").stdout.includes("br_netfilter"), false);
    assert.equal(lab.run("modprobe", ["overlay"]).code, 0, "other arguments are not matched");
    lab.labWrite("faults/h1.json", { "apt-get install": { fail: "E: lab", exitCode: 100 } });
    assert.equal(lab.run("apt-get", ["-y", "install", "kubelet"]).code, 100);
  });

  it("faults of other hosts do not apply", () => {
    lab.labWrite("faults/h2.json", { modprobe: { fail: "no" } });
    assert.equal(lab.run("modprobe", ["overlay"]).code, 0);
  });

  it("the most specific key wins and words match whole arguments in order", () => {
    lab.labWrite("faults/h1.json", {
      sysctl: { fail: "any sysctl" },
      "sysctl -w net.ipv4.ip_forward=1": { fail: "ip_forward" },
    });
    assert.equal(lab.run("sysctl", ["-w", "net.ipv4.ip_forward=1"]).stderr, "ip_forward\n");
    assert.equal(lab.run("sysctl", ["-w", "net.ipv4.ip_forward=0"]).stderr, "any sysctl\n");
  });

  it("times: a fault fires only that many times", () => {
    lab.labWrite("faults/h1.json", { "curl -fsSL": { fail: "curl: (56) Recv failure", times: 1 } });
    const url = "https://pkgs.k8s.io/core:/stable:/v1.35/deb/Release.key";
    assert.equal(lab.run("curl", ["-fsSL", url]).code, 1);
    assert.equal(lab.run("curl", ["-fsSL", url]).code, 0);
  });

  it("hang and delaySeconds sleep before the command runs; durations.json adds a fixed time", async () => {
    lab.labWrite("faults/h1.json", { "swapoff -a": { hang: 1 } });
    const r = await lab.start(path.join(DOUBLES, "bin", "swapoff"), ["-a"]);
    assert.equal(r.code, 0);
    assert.ok(r.ms >= 1000, `hang took ${r.ms} ms`);
    assert.equal(lab.run("swapon", ["--show"]).stdout, "", "then it ran");
    lab.labWrite("faults/h1.json", {});
    lab.labWrite("durations.json", { "swapon -a": 1 });
    const d = await lab.start(path.join(DOUBLES, "bin", "swapon"), ["-a"]);
    assert.ok(d.ms >= 1000, `duration took ${d.ms} ms`);
  });

  it("dropSsh outside an sshd session exits 255 and says so", () => {
    lab.labWrite("faults/h1.json", { lsmod: { dropSsh: true } });
    const r = lab.run("lsmod");
    assert.equal(r.code, 255);
    assert.match(r.stderr, /does not run under an sshd session/);
  });

  it("sh doubles use the prelude: it logs, applies faults and tells the script to stop", () => {
    const lib = path.join(DOUBLES, "lib", "double.js");
    lab.labWrite("faults/h1.json", { "mytool break": { fail: "mytool: broken" } });
    const ok = lab.sh(`node ${lib} prelude mytool fine && echo ran`);
    assert.equal(ok.stdout, "ran\n");
    const bad = lab.sh(`node ${lib} prelude mytool break || exit $?; echo ran`);
    assert.equal(bad.code, 1);
    assert.equal(bad.stdout, "");
    assert.equal(bad.stderr, "mytool: broken\n");
    assert.match(lab.commands().slice(-1)[0], / mytool break$/);
  });
});
