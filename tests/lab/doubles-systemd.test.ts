// systemctl and the units it plays (containerd, kubelet), containerd/ctr/crictl, and a host's reboot (init-host).
import { strict as assert } from "assert";
import * as fs from "fs";
import * as net from "net";
import { DOUBLES, DoublesLab } from "./doubles-harness";

function containerdPid(lab: DoublesLab): number {
  return lab.stateJson<{ pid: number }>("units/containerd.service.json").pid;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return !fs.readFileSync(`/proc/${pid}/stat`, "utf8").includes(") Z ");
  } catch {
    return false;
  }
}

function connects(sock: string): Promise<boolean> {
  return new Promise((resolve) => {
    const c = net.createConnection(sock);
    c.on("connect", () => {
      c.destroy();
      resolve(true);
    });
    c.on("error", () => resolve(false));
  });
}

describe("lab doubles: systemctl, containerd, kubelet, crictl", function () {
  this.timeout(60000);
  let lab: DoublesLab;
  beforeEach(() => {
    lab = new DoublesLab("ubuntu");
    lab.run("apt-get", ["update", "-q"]);
  });
  afterEach(() => lab.cleanup());

  /** containerd installed without its post-install start (as after a stop). */
  function installContainerd(pkg = "containerd", version?: string): void {
    if (pkg === "containerd.io") {
      lab.write("/etc/apt/keyrings/docker.asc", fs.readFileSync(`${lab.root}/catalogue/keys/docker.asc`));
      lab.write(
        "/etc/apt/sources.list.d/docker.list",
        "deb [signed-by=/etc/apt/keyrings/docker.asc] https://download.docker.com/linux/ubuntu noble stable\n",
      );
      lab.run("apt-get", ["update", "-q"]);
    }
    const r = lab.run("apt-get", ["install", "-y", "-q", version ? `${pkg}=${version}` : pkg]);
    assert.equal(r.code, 0, r.stderr);
    lab.run("systemctl", ["stop", "containerd"]);
  }

  it("units that do not exist", () => {
    let r = lab.run("systemctl", ["enable", "--now", "kubelet"]);
    assert.equal(r.code, 1);
    assert.equal(r.stderr, "Failed to enable unit: Unit file kubelet.service does not exist.\n");
    r = lab.run("systemctl", ["start", "containerd"]);
    assert.equal(r.code, 5);
    assert.equal(r.stderr, "Failed to start containerd.service: Unit containerd.service not found.\n");
    r = lab.run("systemctl", ["is-active", "containerd"]);
    assert.deepEqual([r.code, r.stdout], [3, "inactive\n"]);
    r = lab.run("systemctl", ["is-enabled", "kubelet"]);
    assert.deepEqual(
      [r.code, r.stderr],
      [1, "Failed to get unit file state for kubelet.service: No such file or directory\n"],
    );
    assert.equal(lab.run("systemctl", ["status", "kubelet"]).code, 4);
  });

  it("containerd: start opens a real socket, stop closes it; enable/disable make the WantedBy link", async () => {
    installContainerd();
    assert.equal(lab.run("systemctl", ["is-enabled", "containerd"]).stdout, "enabled\n", "postinst enabled it");
    let r = lab.run("systemctl", ["disable", "containerd"]);
    assert.equal(r.stderr, 'Removed "/etc/systemd/system/multi-user.target.wants/containerd.service".\n');
    assert.deepEqual([lab.run("systemctl", ["is-enabled", "containerd"]).stdout], ["disabled\n"]);
    r = lab.run("systemctl", ["enable", "--now", "containerd"]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stderr,
      /^Created symlink \/etc\/systemd\/system\/multi-user\.target\.wants\/containerd\.service → \/usr\/lib\/systemd\/system\/containerd\.service\.$/m,
    );
    assert.equal(lab.run("systemctl", ["is-active", "containerd"]).stdout, "active\n");
    assert.ok(fs.lstatSync(lab.path("/run/containerd/containerd.sock")).isSocket());
    assert.ok(await connects(lab.path("/run/containerd/containerd.sock")));
    const pid = containerdPid(lab);
    assert.ok(alive(pid));
    assert.match(lab.run("systemctl", ["status", "containerd"]).stdout, /Active: active \(running\) since/);
    assert.match(lab.run("lsmod").stdout, /^overlay /m, "ExecStartPre modprobe overlay");
    r = lab.run("systemctl", ["stop", "containerd"]);
    assert.equal(r.code, 0);
    assert.equal(lab.exists("/run/containerd/containerd.sock"), false);
    assert.equal(alive(pid), false);
    assert.equal(lab.run("systemctl", ["is-active", "-q", "containerd"]).code, 3);
  });

  it("containerd with a broken config.toml fails to start; a version it cannot read too", () => {
    installContainerd();
    lab.write("/etc/containerd/config.toml", 'version = 2\n[plugins."io.containerd.grpc.v1.cri"\n');
    let r = lab.run("systemctl", ["restart", "containerd"]);
    assert.equal(r.code, 1);
    assert.equal(
      r.stderr,
      'Job for containerd.service failed because the control process exited with error code.\nSee "systemctl status containerd.service" and "journalctl -xeu containerd.service" for details.\n',
    );
    r = lab.run("systemctl", ["is-active", "containerd"]);
    assert.deepEqual([r.code, r.stdout], [3, "failed\n"]);
    assert.match(lab.run("systemctl", ["status", "containerd"]).stdout, /failed to load TOML/);
    lab.write("/etc/containerd/config.toml", "version = 3\n"); // containerd 1.7 reads up to version 2
    assert.equal(lab.run("systemctl", ["restart", "containerd"]).code, 1);
    const def = lab.run("containerd", ["config", "default"]);
    assert.match(def.stdout, /^version = 2$/m);
    assert.match(def.stdout, /^ {4}sandbox_image = "registry\.k8s\.io\/pause:3\.8"$/m);
    assert.match(def.stdout, /^ {12}SystemdCgroup = false$/m);
    lab.write("/etc/containerd/config.toml", def.stdout.replace("SystemdCgroup = false", "SystemdCgroup = true"));
    assert.equal(lab.run("systemctl", ["restart", "containerd"]).code, 0);
    assert.equal(lab.run("systemctl", ["is-active", "containerd"]).stdout, "active\n");
  });

  it("containerd 2.x: version line, version 3 default config", () => {
    installContainerd("containerd.io", "2.1.4-1~ubuntu.24.04~noble");
    assert.match(lab.run("containerd", ["--version"]).stdout, /^containerd containerd\.io v2\.1\.4 [0-9a-f]{40}\n$/);
    const def = lab.run("containerd", ["config", "default"]).stdout;
    assert.match(def, /^version = 3$/m);
    assert.match(
      def,
      /^ {4}\[plugins\.'io\.containerd\.cri\.v1\.images'\.pinned_images\]\n {6}sandbox = 'registry\.k8s\.io\/pause:3\.10'$/m,
    );
  });

  it("containerd.io's shipped config disables CRI: crictl fails until the config is replaced and containerd restarted", () => {
    installContainerd("containerd.io", "1.7.28-1~ubuntu.24.04~noble");
    lab.addKubernetesApt();
    lab.run("apt-get", ["update", "-q"]);
    assert.equal(lab.run("apt-get", ["install", "-y", "-q", "cri-tools"]).code, 0);
    lab.run("systemctl", ["start", "containerd"]);
    const ep = ["--runtime-endpoint", "unix:///run/containerd/containerd.sock"];
    let r = lab.run("crictl", [...ep, "pull", "registry.k8s.io/pause:3.10.1"]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /code = Unimplemented desc = unknown service runtime\.v1\.ImageService/);
    lab.write("/etc/containerd/config.toml", lab.run("containerd", ["config", "default"]).stdout);
    assert.equal(lab.run("crictl", [...ep, "pull", "registry.k8s.io/pause:3.10.1"]).code, 1, "not restarted yet");
    lab.run("systemctl", ["restart", "containerd"]);
    r = lab.run("crictl", [...ep, "pull", "registry.k8s.io/pause:3.10.1"]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Image is up to date for sha256:[0-9a-f]{64}\n$/);
  });

  it("crictl: runtime down, blocked registry, hosts.toml mirror (only once config_path is set and containerd restarted)", () => {
    installContainerd();
    lab.addKubernetesApt();
    lab.run("apt-get", ["update", "-q"]);
    assert.equal(lab.run("apt-get", ["install", "-y", "-q", "cri-tools"]).code, 0);
    const ep = ["--runtime-endpoint", "unix:///run/containerd/containerd.sock"];
    let r = lab.run("crictl", [...ep, "pull", "registry.k8s.io/pause:3.10.1"]);
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /level=fatal msg="validate service connection: validate CRI v1 image API for endpoint \\"unix:\/\/\/run\/containerd\/containerd\.sock\\": .*connect: no such file or directory\\""/,
    );
    lab.run("systemctl", ["start", "containerd"]);
    lab.labWrite("registries.json", { blocked: ["registry.k8s.io"], allowed: ["registry.aliyuncs.com"] });
    r = lab.run("crictl", [...ep, "pull", "registry.k8s.io/pause:3.10.1"]);
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /failed to pull and unpack image \\"registry\.k8s\.io\/pause:3\.10\.1\\".*dial tcp: lookup registry\.k8s\.io: i\/o timeout/,
    );
    lab.write(
      "/etc/containerd/certs.d/registry.k8s.io/hosts.toml",
      'server = "https://registry.k8s.io"\n\n[host."https://registry.aliyuncs.com/google_containers"]\n  capabilities = ["pull", "resolve"]\n  override_path = true\n',
    );
    assert.equal(
      lab.run("crictl", [...ep, "pull", "registry.k8s.io/pause:3.10.1"]).code,
      1,
      "1.7 ignores hosts.toml without config_path",
    );
    const def = lab.run("containerd", ["config", "default"]).stdout;
    lab.write(
      "/etc/containerd/config.toml",
      def.replace(
        /(\[plugins\."io\.containerd\.grpc\.v1\.cri"\.registry\]\n\s+config_path = )""/,
        '$1"/etc/containerd/certs.d"',
      ),
    );
    assert.equal(lab.run("crictl", [...ep, "pull", "registry.k8s.io/pause:3.10.1"]).code, 1, "needs a restart");
    lab.run("systemctl", ["restart", "containerd"]);
    r = lab.run("crictl", [...ep, "pull", "registry.k8s.io/pause:3.10.1"]);
    assert.equal(r.code, 0, r.stderr);
    const images = lab.stateJson<{ images: { ref: string; from: string }[] }>("images.json").images;
    assert.deepEqual(
      images.map((i) => [i.ref, i.from]),
      [["registry.k8s.io/pause:3.10.1", "registry.aliyuncs.com"]],
    );
    r = lab.run("crictl", [...ep, "images"]);
    assert.match(
      r.stdout,
      /^IMAGE\s+TAG\s+IMAGE ID\s+SIZE\nregistry\.k8s\.io\/pause\s+3\.10\.1\s+[0-9a-f]{13}\s+\S+\n$/,
    );
    assert.equal(lab.run("crictl", [...ep, "ps", "-a", "-q"]).stdout, "");
    assert.equal(lab.run("crictl", [...ep, "rmp", "-af"]).code, 0);
    assert.equal(lab.run("ctr", ["-n", "k8s.io", "images", "ls", "-q"]).stdout, "registry.k8s.io/pause:3.10.1\n");
  });

  it("kubelet: activating until config.yaml exists, containerd runs and swap is off; then active", () => {
    lab.addKubernetesApt();
    lab.run("apt-get", ["update", "-q"]);
    assert.equal(lab.run("apt-get", ["install", "-y", "-q", "kubelet=1.35.4-1.1", "containerd"]).code, 0);
    const st = () => lab.run("systemctl", ["is-active", "kubelet"]).stdout.trim();
    assert.equal(st(), "activating");
    assert.match(
      lab.run("systemctl", ["status", "kubelet"]).stdout,
      /Active: activating \(auto-restart\)[\s\S]*open \/var\/lib\/kubelet\/config\.yaml: no such file or directory/,
    );
    lab.write(
      "/var/lib/kubelet/config.yaml",
      "apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\ncgroupDriver: systemd\n",
    );
    assert.equal(st(), "activating", "swap is still on");
    assert.match(lab.run("systemctl", ["status", "kubelet"]).stdout, /running with swap on is not supported/);
    lab.run("swapoff", ["-a"]);
    assert.equal(st(), "active");
    lab.run("systemctl", ["stop", "containerd"]);
    assert.equal(st(), "activating", "runtime gone");
    lab.run("systemctl", ["start", "containerd"]);
    assert.equal(st(), "active");
    lab.run("systemctl", ["stop", "kubelet"]);
    assert.equal(st(), "inactive");
  });

  it("a reboot (init-host again): enabled units start, swap and modules come from /etc, recorded sysctls are re-applied", () => {
    installContainerd();
    lab.run("modprobe", ["br_netfilter"]);
    lab.run("sysctl", ["-w", "vm.swappiness=0"]);
    lab.run("swapoff", ["-a"]);
    // not persisted: everything comes back as the files say
    let r = lab.run(`${DOUBLES}/init-host`, ["ubuntu"]);
    assert.equal(r.stdout, "init-host: h1 ubuntu boot 2\n");
    assert.equal(lab.run("systemctl", ["is-active", "containerd"]).stdout, "active\n", "enabled, so started at boot");
    assert.match(lab.run("swapon", ["--show"]).stdout, /\/swap\.img/);
    assert.doesNotMatch(lab.run("lsmod").stdout, /br_netfilter/);
    assert.equal(lab.run("sysctl", ["-n", "vm.swappiness"]).stdout, "60\n");
    // persisted the way HostPrep should
    lab.write("/etc/modules-load.d/k8s.conf", "overlay\nbr_netfilter\n");
    lab.write(
      "/etc/sysctl.d/k8s.conf",
      "net.bridge.bridge-nf-call-iptables = 1\nnet.ipv4.ip_forward = 1\nvm.swappiness = 0\n",
    );
    lab.write("/etc/fstab", lab.read("/etc/fstab").replace(/^\/swap\.img/m, "#/swap.img"));
    lab.run("systemctl", ["disable", "containerd"]);
    r = lab.run(`${DOUBLES}/init-host`, ["ubuntu"]);
    assert.equal(r.stdout, "init-host: h1 ubuntu boot 3\n");
    assert.equal(lab.run("systemctl", ["is-active", "containerd"]).stdout, "inactive\n");
    assert.equal(lab.run("swapon", ["--show"]).stdout, "");
    assert.match(lab.run("lsmod").stdout, /^br_netfilter /m);
    assert.equal(lab.run("sysctl", ["-n", "net.bridge.bridge-nf-call-iptables", "vm.swappiness"]).stdout, "1\n0\n");
    assert.equal(lab.procRead("net/ipv4/ip_forward"), "1");
  });
});
