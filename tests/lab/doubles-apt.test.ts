// The apt family doubles (apt-get, apt-mark, dpkg, dpkg-query) and curl, on an ubuntu host outside a lab.
import { strict as assert } from "assert";
import * as fs from "fs";
import { DoublesLab } from "./doubles-harness";

const K8S = ["kubelet=1.35.4-1.1", "kubeadm=1.35.4-1.1", "kubectl=1.35.4-1.1"];
const INSTALL = ["install", "-y", "-q", "--allow-change-held-packages", "--allow-downgrades"];

describe("lab doubles: apt family", function () {
  this.timeout(60000);
  let lab: DoublesLab;
  beforeEach(() => (lab = new DoublesLab("ubuntu")));
  afterEach(() => lab.cleanup());

  it("a fresh host has the distribution's sources and nothing fetched: install fails until apt-get update", () => {
    assert.match(lab.read("/etc/apt/sources.list.d/ubuntu.sources"), /URIs: http:\/\/archive\.ubuntu\.com\/ubuntu\//);
    const r = lab.run("apt-get", ["install", "-y", "containerd"]);
    assert.equal(r.code, 100);
    assert.equal(r.stderr, "E: Unable to locate package containerd\n");
    assert.equal(lab.run("apt-get", ["update", "-q"]).code, 0);
    assert.equal(lab.run("apt-get", ["install", "-y", "-q", "containerd"]).code, 0);
    assert.equal(lab.run("dpkg-query", ["-W", "-f=${Version}", "containerd"]).stdout, "1.7.28-0ubuntu1~24.04.1");
  });

  it("kubernetes packages need the pkgs.k8s.io source: Unable to locate package, then installs", () => {
    lab.run("apt-get", ["update", "-q"]);
    let r = lab.run("apt-get", [...INSTALL, ...K8S]);
    assert.equal(r.code, 100);
    assert.match(r.stderr, /^E: Unable to locate package kubelet$/m);
    lab.addKubernetesApt();
    r = lab.run("apt-get", [...INSTALL, ...K8S]);
    assert.equal(r.code, 100, "the new source is not fetched yet");
    r = lab.run("apt-get", ["update", "-q"]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Get:1 https:\/\/pkgs\.k8s\.io\/core:\/stable:\/v1\.35\/deb {2}InRelease \[[\d,]+ B\]$/m);
    r = lab.run("apt-get", [...INSTALL, ...K8S, "containerd"], { env: { DEBIAN_FRONTEND: "noninteractive" } });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /The following additional packages will be installed:\n {2}cri-tools kubernetes-cni runc\n/);
    assert.match(r.stdout, /^Setting up kubelet \(1\.35\.4-1\.1\) \.\.\.$/m);
    assert.match(r.stdout, /0 upgraded, 7 newly installed, 0 to remove and 0 not upgraded\./);
    // files of the packages' trees
    assert.ok(lab.exists("/usr/bin/kubelet"));
    assert.ok(lab.exists("/usr/lib/systemd/system/kubelet.service.d/10-kubeadm.conf"));
    assert.match(lab.read("/usr/lib/systemd/system/kubelet.service.d/10-kubeadm.conf"), /\/etc\/default\/kubelet/);
    assert.ok(lab.exists("/usr/bin/crictl"));
    assert.ok(lab.exists("/opt/cni/bin/bridge"));
    assert.equal(lab.run("kubelet", ["--version"]).stdout, "Kubernetes v1.35.4\n");
    // Debian policy: the services are enabled and started (the kubelet then crash-loops until kubeadm runs)
    assert.deepEqual(lab.services(), {
      "containerd.service": { enabled: true, started: true },
      "kubelet.service": { enabled: true, started: true },
    });
    // the same install again changes nothing
    r = lab.run("apt-get", [...INSTALL, ...K8S]);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /^kubelet is already the newest version \(1\.35\.4-1\.1\)\.$/m);
    assert.match(r.stdout, /0 upgraded, 0 newly installed, 0 to remove and 0 not upgraded\./);
  });

  it("an unknown version fails like apt", () => {
    lab.addKubernetesApt();
    lab.run("apt-get", ["update"]);
    const r = lab.run("apt-get", ["install", "-y", "kubelet=1.35.9-1.1"]);
    assert.equal(r.code, 100);
    assert.equal(r.stderr, "E: Version '1.35.9-1.1' for 'kubelet' was not found\n");
    assert.equal(lab.run("dpkg-query", ["-W", "-f=${Version}", "kubelet"]).code, 1);
  });

  it("dpkg-query and dpkg -s for absent and present packages", () => {
    let r = lab.run("dpkg-query", ["-W", "-f=${Version}", "kubelet"]);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, "");
    assert.equal(r.stderr, "dpkg-query: no packages found matching kubelet\n");
    r = lab.run("dpkg", ["-s", "kubelet"]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^dpkg-query: package 'kubelet' is not installed and no information is available$/m);
    r = lab.run("dpkg", ["-s", "curl"]);
    assert.equal(r.code, 0, "base packages are installed");
    assert.match(r.stdout, /^Status: install ok installed$/m);
  });

  it("held packages: apt-mark hold/showhold, and changes need --allow-change-held-packages", () => {
    lab.addKubernetesApt();
    lab.run("apt-get", ["update"]);
    assert.equal(lab.run("apt-get", [...INSTALL, ...K8S]).code, 0);
    let r = lab.run("apt-mark", ["hold", "kubelet", "kubeadm", "kubectl"]);
    assert.equal(r.stdout, "kubelet set on hold.\nkubeadm set on hold.\nkubectl set on hold.\n");
    assert.equal(lab.run("apt-mark", ["showhold"]).stdout, "kubeadm\nkubectl\nkubelet\n");
    assert.match(lab.run("dpkg", ["-s", "kubelet"]).stdout, /^Status: hold ok installed$/m);
    r = lab.run("apt-get", ["install", "-y", "kubelet=1.35.3-1.1"]);
    assert.equal(r.code, 100);
    assert.match(r.stdout, /The following held packages will be changed:\n {2}kubelet\n/);
    assert.equal(r.stderr, "E: Held packages were changed and -y was used without --allow-change-held-packages.\n");
    r = lab.run("apt-get", ["install", "-y", "--allow-change-held-packages", "kubelet=1.35.3-1.1"]);
    assert.equal(r.code, 100);
    assert.equal(r.stderr, "E: Packages were downgraded and -y was used without --allow-downgrades.\n");
    r = lab.run("apt-get", [...INSTALL, "kubelet=1.35.3-1.1"]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /The following packages will be DOWNGRADED:\n {2}kubelet\n/);
    assert.equal(lab.run("dpkg-query", ["-W", "-f=${Version}", "kubelet"]).stdout, "1.35.3-1.1");
    assert.equal(lab.run("apt-mark", ["showhold"]).stdout, "kubeadm\nkubectl\nkubelet\n", "still held");
    assert.equal(lab.run("apt-mark", ["unhold", "kubelet"]).stdout, "Canceled hold on kubelet.\n");
  });

  it("a malformed list file stops apt-get update", () => {
    lab.write(
      "/etc/apt/sources.list.d/kubernetes.list",
      "deb [signed-by=/etc/apt/keyrings/k.gpg] https://pkgs.k8s.io/core:/stable:/v1.35/deb/\n",
    );
    let r = lab.run("apt-get", ["update"]);
    assert.equal(r.code, 100);
    assert.equal(
      r.stderr,
      "E: Malformed entry 1 in list file /etc/apt/sources.list.d/kubernetes.list (Suite)\nE: The list of sources could not be read.\n",
    );
    lab.write("/etc/apt/sources.list.d/kubernetes.list", "deb https://pkgs.k8s.io/core:/stable:/v1.35/deb/ noble\n");
    r = lab.run("apt-get", ["update"]);
    assert.match(
      r.stderr,
      /^E: Malformed entry 1 in list file \/etc\/apt\/sources\.list\.d\/kubernetes\.list \(Component\)$/m,
    );
    lab.write("/etc/apt/sources.list.d/kubernetes.list", "deb https://pkgs.k8s.io/core:/stable:/v1.35/deb/ / main\n");
    r = lab.run("apt-get", ["update"]);
    assert.match(r.stderr, /\(absolute Suite Component\)$/m);
  });

  it("a missing signed-by keyring: NO_PUBKEY and 'is not signed', exit 100; install then fails", () => {
    const mirror = "https://pkgs.k8s.io/core:/stable:/v1.35/deb/";
    lab.write(
      "/etc/apt/sources.list.d/kubernetes.list",
      `deb [signed-by=/etc/apt/keyrings/kubernetes-apt-keyring.gpg] ${mirror} /\n`,
    );
    const r = lab.run("apt-get", ["update", "-q"]);
    assert.equal(r.code, 100);
    assert.match(r.stdout, /^Err:1 https:\/\/pkgs\.k8s\.io\/core:\/stable:\/v1\.35\/deb {2}InRelease$/m);
    assert.match(r.stderr, /^W: GPG error: .* NO_PUBKEY [0-9A-F]{16}$/m);
    assert.match(
      r.stderr,
      /^E: The repository 'https:\/\/pkgs\.k8s\.io\/core:\/stable:\/v1\.35\/deb {2}InRelease' is not signed\.$/m,
    );
    assert.equal(lab.run("apt-get", ["install", "-y", "kubelet"]).code, 100);
  });

  it("an armored key saved as *.gpg (curl without gpg --dearmor) is ignored like apt does", () => {
    const mirror = "https://pkgs.k8s.io/core:/stable:/v1.35/deb/";
    const keyring = "/etc/apt/keyrings/kubernetes-apt-keyring.gpg";
    assert.equal(lab.run("curl", ["-fsSL", "-o", keyring, `${mirror}Release.key`]).code, 0);
    lab.write("/etc/apt/sources.list.d/kubernetes.list", `deb [signed-by=${keyring}] ${mirror} /\n`);
    const r = lab.run("apt-get", ["update"]);
    assert.equal(r.code, 100);
    assert.match(r.stderr, /are ignored as the file has an unsupported filetype\./);
    // an .asc keyring with the armored key is fine
    fs.renameSync(lab.path(keyring), lab.path("/etc/apt/keyrings/kubernetes.asc"));
    lab.write(
      "/etc/apt/sources.list.d/kubernetes.list",
      `deb [signed-by=/etc/apt/keyrings/kubernetes.asc] ${mirror} /\n`,
    );
    assert.equal(lab.run("apt-get", ["update"]).code, 0);
  });

  it("another repository's key does not sign pkgs.k8s.io", () => {
    const keyring = "/etc/apt/keyrings/kubernetes-apt-keyring.gpg";
    lab.sh(`curl -fsSL https://download.docker.com/linux/ubuntu/gpg | gpg --dearmor --yes -o ${lab.path(keyring)}`);
    lab.write(
      "/etc/apt/sources.list.d/kubernetes.list",
      `deb [signed-by=${keyring}] https://pkgs.k8s.io/core:/stable:/v1.35/deb/ /\n`,
    );
    assert.equal(lab.run("apt-get", ["update"]).code, 100);
  });

  it("conflicting Signed-By for one source is an error of the source list", () => {
    lab.addKubernetesApt();
    lab.write(
      "/etc/apt/sources.list.d/k8s-old.list",
      "deb [signed-by=/etc/apt/keyrings/k8s.gpg] https://pkgs.k8s.io/core:/stable:/v1.35/deb/ /\n",
    );
    const r = lab.run("apt-get", ["update"]);
    assert.equal(r.code, 100);
    assert.match(
      r.stderr,
      /^E: Conflicting values set for option Signed-By regarding source https:\/\/pkgs\.k8s\.io\/core:\/stable:\/v1\.35\/deb\/ \/: /m,
    );
  });

  it("an unreachable mirror: update warns (exit 0, like apt) and install cannot find the package", () => {
    lab.addKubernetesApt("https://mirrors.aliyun.com/kubernetes-new/core/stable/v1.35/deb/");
    lab.labWrite("network.json", { unreachable: ["mirrors.aliyun.com"] });
    const r = lab.run("apt-get", ["update", "-q"]);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /^ {2}Temporary failure resolving 'mirrors\.aliyun\.com'$/m);
    assert.match(
      r.stderr,
      /^W: Failed to fetch https:\/\/mirrors\.aliyun\.com\/kubernetes-new\/core\/stable\/v1\.35\/deb\/InRelease {2}Temporary failure resolving 'mirrors\.aliyun\.com'$/m,
    );
    assert.match(r.stderr, /^W: Some index files failed to download\./m);
    assert.equal(lab.run("apt-get", ["install", "-y", "kubeadm"]).stderr, "E: Unable to locate package kubeadm\n");
    // and curl cannot fetch its key either
    const c = lab.run("curl", ["-fsSL", "https://mirrors.aliyun.com/kubernetes-new/core/stable/v1.35/deb/Release.key"]);
    assert.equal(c.code, 6);
    assert.equal(c.stderr, "curl: (6) Could not resolve host: mirrors.aliyun.com\n");
  });

  it("a repository path the mirror does not have: no Release file, exit 100", () => {
    lab.addKubernetesApt();
    lab.write(
      "/etc/apt/sources.list.d/kubernetes.list",
      "deb [signed-by=/etc/apt/keyrings/kubernetes-apt-keyring.gpg] https://pkgs.k8s.io/core:/stable:/v1.99/deb/ /\n",
    );
    const r = lab.run("apt-get", ["update"]);
    assert.equal(r.code, 100);
    assert.match(
      r.stderr,
      /^E: The repository 'https:\/\/pkgs\.k8s\.io\/core:\/stable:\/v1\.99\/deb {2}Release' does not have a Release file\.$/m,
    );
  });

  it("the aliyun mirror serves the same packages", () => {
    lab.addKubernetesApt("https://mirrors.aliyun.com/kubernetes-new/core/stable/v1.35/deb/");
    assert.equal(lab.run("apt-get", ["update"]).code, 0);
    assert.equal(lab.run("apt-get", [...INSTALL, ...K8S]).code, 0);
    assert.equal(
      lab.run("apt-cache", ["madison", "kubeadm"]).stdout.split("\n")[0],
      "   kubeadm | 1.35.4-1.1 | https://mirrors.aliyun.com/kubernetes-new/core/stable/v1.35/deb  Packages",
    );
  });

  it("without -y a transaction with extra packages aborts", () => {
    lab.addKubernetesApt();
    lab.run("apt-get", ["update"]);
    const r = lab.run("apt-get", ["install", "kubeadm"]);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /Do you want to continue\? \[Y\/n\] Abort\.\n$/);
    assert.equal(lab.exists("/usr/bin/crictl"), false);
  });

  it("not root: apt-get cannot take the dpkg lock", () => {
    lab.run("apt-get", ["update"]);
    const r = lab.run("apt-get", ["install", "-y", "curl"], { env: { LAB_UID: "1500" } });
    assert.equal(r.code, 100);
    assert.match(r.stderr, /are you root\?$/m);
  });

  it("containerd and Docker's containerd.io conflict both ways, and docker-ce goes with containerd.io", () => {
    lab.write("/etc/apt/keyrings/docker.asc", fs.readFileSync(`${lab.root}/catalogue/keys/docker.asc`));
    lab.write(
      "/etc/apt/sources.list.d/docker.list",
      "deb [signed-by=/etc/apt/keyrings/docker.asc] https://download.docker.com/linux/ubuntu noble stable\n",
    );
    lab.run("apt-get", ["update"]);
    let r = lab.run("apt-get", ["install", "-y", "docker-ce"]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^The following additional packages will be installed:\n {2}containerd\.io$/m);
    r = lab.run("apt-get", ["install", "containerd"]);
    assert.equal(r.code, 1, "without -y apt asks before removing");
    assert.match(r.stdout, /^The following packages will be REMOVED:\n {2}containerd\.io docker-ce$/m);
    r = lab.run("apt-get", ["install", "-y", "containerd"]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Removing docker-ce .*\nRemoving containerd\.io /m);
    assert.equal(lab.run("dpkg-query", ["-W", "-f=${Status}", "docker-ce"]).stdout.includes("ok installed"), false);
    r = lab.run("apt-get", ["install", "-y", "containerd.io"]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^The following packages will be REMOVED:\n {2}containerd runc$/m);
    lab.run("apt-get", ["install", "-y", "docker-ce"]);
    r = lab.run("apt-get", ["remove", "-y", "containerd.io"]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^The following packages will be REMOVED:\n {2}containerd\.io docker-ce$/m);
  });

  it("remove keeps /etc files, purge deletes them; dpkg-query sees the difference", () => {
    lab.run("apt-get", ["update"]);
    lab.write("/etc/apt/keyrings/docker.asc", fs.readFileSync(`${lab.root}/catalogue/keys/docker.asc`));
    lab.write(
      "/etc/apt/sources.list.d/docker.list",
      "deb [signed-by=/etc/apt/keyrings/docker.asc] https://download.docker.com/linux/ubuntu noble stable\n",
    );
    lab.run("apt-get", ["update"]);
    let r = lab.run("apt-get", ["install", "-y", "containerd.io=1.7.28-1~ubuntu.24.04~noble"]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(lab.read("/etc/containerd/config.toml"), /disabled_plugins = \["cri"\]/);
    assert.match(lab.run("containerd", ["--version"]).stdout, /^containerd /, "the real containerd");
    r = lab.run("apt-get", ["remove", "-y", "containerd.io"]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(lab.exists("/usr/bin/containerd"), false);
    assert.ok(lab.exists("/etc/containerd/config.toml"));
    assert.deepEqual(lab.services()["containerd.service"], { enabled: false, started: false });
    r = lab.run("dpkg-query", ["-W", "-f=${db:Status-Abbrev}|${Version}\\n", "containerd.io"]);
    assert.equal(r.stdout, "rc |\n");
    assert.equal(lab.run("apt-get", ["purge", "-y", "containerd.io"]).code, 0);
    assert.equal(lab.exists("/etc/containerd/config.toml"), false);
    assert.equal(lab.run("dpkg-query", ["-W", "containerd.io"]).code, 1);
  });
});
