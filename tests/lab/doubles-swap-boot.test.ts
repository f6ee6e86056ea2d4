// init-host's swap at boot: what systemd's swap.target would turn on (fstab lines, enabled .swap units,
// zram-generator's devices), and nothing while swap.target or the unit is masked. Outside any lab: a reboot is
// init-host run again on the same files.
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { DoublesLab, DOUBLES } from "./doubles-harness";

const ALL_KINDS = "--swap=fstab,fstab-indented,fstab-short,unit,zram";

describe("lab doubles: swap at boot", function () {
  this.timeout(60000);
  let lab: DoublesLab;
  afterEach(() => lab.cleanup());

  const reboot = () => assert.equal(lab.run(path.join(DOUBLES, "init-host"), [lab.distro]).code, 0);
  const active = () => lab.run("swapon", ["--noheadings", "--show=NAME"]).stdout.split("\n").filter(Boolean).sort();
  const mask = (unit: string) => fs.symlinkSync("/dev/null", path.join(lab.fsRoot, "etc/systemd/system", unit));
  const unmask = (unit: string) => fs.rmSync(path.join(lab.fsRoot, "etc/systemd/system", unit));

  it("sets up every kind of swap at the first boot, as real hosts have them, and turns each on", () => {
    lab = new DoublesLab("ubuntu", { initArgs: [ALL_KINDS] });
    assert.equal(
      lab.read("/etc/fstab"),
      "/swap.img\tnone\tswap\tsw\t0\t0\n    /dev/vdb2    none    swap    sw    0    0\n/var/swap none swap\n",
    );
    assert.match(lab.read("/etc/systemd/system/swapfile.swap"), /^\[Swap\]\nWhat=\/swapfile$/m);
    assert.equal(
      fs.readlinkSync(path.join(lab.fsRoot, "etc/systemd/system/swap.target.wants/swapfile.swap")),
      "/etc/systemd/system/swapfile.swap",
    );
    assert.match(lab.read("/etc/systemd/zram-generator.conf"), /^\[zram0\]$/m);
    assert.deepEqual(active(), ["/dev/vdb2", "/dev/zram0", "/swap.img", "/swapfile", "/var/swap"]);
    assert.match(lab.run("swapon", ["--show"]).stdout, /^\/dev\/zram0 partition\s+1\.9G\s+0B\s+100$/m);
  });

  it("gives a device turned on without a priority the kernel's automatic one; -p, fstab's pri= and Priority= set it", () => {
    lab = new DoublesLab("ubuntu", { initArgs: ["--swap=fstab,unit,zram"] });
    const priorities = () => lab.run("swapon", ["--noheadings", "--raw", "--show=NAME,PRIO"]).stdout;
    assert.equal(priorities(), "/swap.img -2\n/swapfile -3\n/dev/zram0 100\n", "zram-generator's swap-priority: 100");
    assert.equal(lab.run("swapoff", ["-a"]).code, 0);
    assert.equal(lab.run("swapon", ["-p", "7", "--", "/dev/zram0"]).code, 0);
    assert.equal(lab.run("swapon", ["/swapfile"]).code, 0);
    assert.equal(priorities(), "/dev/zram0 7\n/swapfile -2\n");
    assert.equal(lab.run("swapon", ["-p", "high", "/swap.img"]).stderr, "swapon: failed to parse priority: 'high'\n");
    lab.write("/etc/fstab", lab.read("/etc/fstab").replace("sw\t0", "sw,pri=5\t0"));
    assert.equal(lab.run("swapon", ["-a"]).code, 0);
    assert.match(priorities(), /^\/swap\.img 5$/m);
    lab.write(
      "/etc/systemd/system/swapfile.swap",
      lab.read("/etc/systemd/system/swapfile.swap").replace("What=", "Priority=9\nWhat="),
    );
    reboot();
    assert.equal(priorities(), "/swap.img 5\n/swapfile 9\n/dev/zram0 100\n");
  });

  it("turns on nothing while swap.target is masked, and everything again once it is not", () => {
    lab = new DoublesLab("rocky", { initArgs: [ALL_KINDS] });
    mask("swap.target");
    reboot();
    assert.deepEqual(active(), []);
    unmask("swap.target");
    reboot();
    assert.equal(active().length, 5);
  });

  it("leaves out a masked swap unit, a disabled one and an fstab line marked noauto or commented", () => {
    lab = new DoublesLab("ubuntu", { initArgs: [ALL_KINDS] });
    mask("dev-zram0.swap");
    mask("dev-vdb2.swap"); // what systemd-fstab-generator names the indented /dev/vdb2 line's unit
    fs.rmSync(path.join(lab.fsRoot, "etc/systemd/system/swap.target.wants/swapfile.swap"));
    lab.write("/etc/fstab", lab.read("/etc/fstab").replace("/var/swap none swap", "/var/swap none swap noauto"));
    reboot();
    assert.deepEqual(active(), ["/swap.img"]);
    lab.write("/etc/fstab", lab.read("/etc/fstab").replace("/swap.img", "#/swap.img"));
    reboot();
    assert.deepEqual(active(), []);
  });

  it("has no zram swap without zram-generator, and no swap at all with --swap=none", () => {
    lab = new DoublesLab("ubuntu", { initArgs: ["--swap=zram"] });
    assert.deepEqual(active(), ["/dev/zram0"]);
    const db = JSON.parse(fs.readFileSync(path.join(lab.state, "packages.json"), "utf8"));
    delete db.packages["systemd-zram-generator"];
    fs.writeFileSync(path.join(lab.state, "packages.json"), JSON.stringify(db));
    reboot();
    assert.deepEqual(active(), [], "the configuration alone makes no device");
    lab.cleanup();

    lab = new DoublesLab("ubuntu", { initArgs: ["--swap=none"] });
    assert.equal(lab.exists("/etc/fstab") ? lab.read("/etc/fstab").includes("swap") : false, false);
    assert.deepEqual(active(), []);
    assert.notEqual(lab.run(path.join(DOUBLES, "init-host"), ["ubuntu", "--swap=tmpfs"]).code, 0);
  });

  it("installs the distribution's containerd configured for a private registry (ubuntu only)", () => {
    lab = new DoublesLab("ubuntu", { initArgs: ["--private-registry"] });
    const db = JSON.parse(fs.readFileSync(path.join(lab.state, "packages.json"), "utf8"));
    assert.equal(db.packages.containerd.version, "1.7.12-0ubuntu4", "noble's, not updated since (-updates has newer)");
    assert.equal(db.packages.runc.auto, true);
    assert.equal(
      fs.readlinkSync(path.join(lab.fsRoot, "etc/systemd/system/multi-user.target.wants/containerd.service")),
      "/usr/lib/systemd/system/containerd.service",
    );
    assert.match(lab.read("/etc/containerd/config.toml"), /config_path = "\/etc\/containerd\/certs\.d"/);
    const dir = "/etc/containerd/certs.d/registry.corp.example:5000";
    assert.match(
      lab.read(`${dir}/hosts.toml`),
      /ca = "\/etc\/containerd\/certs\.d\/registry\.corp\.example:5000\/ca\.crt"/,
    );
    assert.match(lab.read(`${dir}/ca.crt`), /^-----BEGIN CERTIFICATE-----\n/);
    lab.cleanup();
    lab = new DoublesLab("ubuntu", { init: false });
    assert.equal(lab.run(path.join(DOUBLES, "init-host"), ["rocky", "--private-registry"]).code, 2);
  });
});
