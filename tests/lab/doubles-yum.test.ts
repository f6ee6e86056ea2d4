// The yum family doubles (dnf, yum, rpm) on a rocky host outside a lab.
import { strict as assert } from "assert";
import { DoublesLab } from "./doubles-harness";

const K8S_REPO = (base = "https://pkgs.k8s.io/core:/stable:/v1.35/rpm/") => `[kubernetes]
name=Kubernetes
baseurl=${base}
enabled=1
gpgcheck=1
gpgkey=${base}repodata/repomd.xml.key
exclude=kubelet kubeadm kubectl cri-tools kubernetes-cni
`;
const K8S = ["kubelet-1.35.4", "kubeadm-1.35.4", "kubectl-1.35.4"];

describe("lab doubles: yum family", function () {
  this.timeout(60000);
  let lab: DoublesLab;
  beforeEach(() => (lab = new DoublesLab("rocky")));
  afterEach(() => lab.cleanup());

  it("rocky hosts have dnf, yum and rpm, and the distribution's repos", () => {
    assert.match(lab.read("/etc/yum.repos.d/rocky.repo"), /^\[baseos\]$/m);
    assert.equal(lab.run("rpm", ["-q", "curl"]).stdout, "curl-7.76.1-31.el9.x86_64\n");
    const r = lab.run("rpm", ["-q", "kubelet"]);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, "package kubelet is not installed\n");
  });

  it("excluded packages need --disableexcludes=kubernetes", () => {
    lab.write("/etc/yum.repos.d/kubernetes.repo", K8S_REPO());
    let r = lab.run("dnf", ["install", "-y", ...K8S]);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /^All matches were filtered out by exclude filtering for argument: kubelet-1\.35\.4$/m);
    assert.equal(r.stderr, "Error: Unable to find a match: kubelet-1.35.4 kubeadm-1.35.4 kubectl-1.35.4\n");
    r = lab.run("dnf", ["install", "-y", ...K8S, "--disableexcludes=kubernetes"]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Installing dependencies:$/m);
    assert.match(r.stdout, /^Importing GPG key 0x[0-9A-F]{8}:$/m);
    assert.match(r.stdout, /^Complete!$/m);
    assert.equal(lab.run("rpm", ["-q", "kubelet"]).stdout, "kubelet-1.35.4-150500.1.1.x86_64\n");
    assert.equal(lab.run("rpm", ["-q", "--qf", "%{VERSION}-%{RELEASE}", "kubeadm"]).stdout, "1.35.4-150500.1.1");
    assert.equal(lab.run("kubelet", ["--version"]).stdout, "Kubernetes v1.35.4\n");
    assert.match(lab.read("/usr/lib/systemd/system/kubelet.service.d/10-kubeadm.conf"), /\/etc\/sysconfig\/kubelet/);
    assert.equal(lab.read("/etc/sysconfig/kubelet"), "KUBELET_EXTRA_ARGS=\n");
    // RPM policy: nothing enabled or started
    assert.deepEqual(lab.services(), {});
    r = lab.run("dnf", ["install", "-y", ...K8S, "--disableexcludes", "kubernetes"]);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /^Package kubelet-1\.35\.4-150500\.1\.1\.x86_64 is already installed\.$/m);
    assert.match(r.stdout, /^Nothing to do\.$/m);
  });

  it("yum is the same program", () => {
    lab.write("/etc/yum.repos.d/kubernetes.repo", K8S_REPO());
    assert.equal(
      lab.run("yum", ["install", "-y", "kubectl-1.35.4-150500.1.1", "--disableexcludes=kubernetes"]).code,
      0,
    );
    assert.equal(lab.run("rpm", ["-q", "kubectl"]).code, 0);
  });

  it("an unknown version: No match for argument", () => {
    lab.write("/etc/yum.repos.d/kubernetes.repo", K8S_REPO());
    const r = lab.run("dnf", ["install", "-y", "kubelet-1.35.9", "--disableexcludes=kubernetes"]);
    assert.equal(r.code, 1);
    assert.equal(
      r.stdout
        .split("\n")
        .filter((l) => l.startsWith("No match"))
        .join("\n"),
      "No match for argument: kubelet-1.35.9",
    );
    assert.equal(r.stderr, "Error: Unable to find a match: kubelet-1.35.9\n");
  });

  it("a malformed repo file is a config error", () => {
    lab.write(
      "/etc/yum.repos.d/kubernetes.repo",
      "name=Kubernetes\nbaseurl=https://pkgs.k8s.io/core:/stable:/v1.35/rpm/\n",
    );
    const r = lab.run("dnf", ["install", "-y", "kubelet"]);
    assert.equal(r.code, 1);
    assert.equal(
      r.stderr,
      "Config error: Parsing file '/etc/yum.repos.d/kubernetes.repo' failed: IniParser: Missing section header at line 1\n",
    );
    lab.write("/etc/yum.repos.d/kubernetes.repo", "[kubernetes]\nname=Kubernetes\nenabled=1\n");
    assert.equal(
      lab.run("dnf", ["install", "-y", "kubelet"]).stderr,
      "Error: Cannot find a valid baseurl for repo: kubernetes\n",
    );
  });

  it("an unreachable repository fails the metadata download", () => {
    lab.write(
      "/etc/yum.repos.d/kubernetes.repo",
      K8S_REPO("https://mirrors.aliyun.com/kubernetes-new/core/stable/v1.35/rpm/"),
    );
    lab.labWrite("network.json", { unreachable: ["mirrors.aliyun.com"] });
    const r = lab.run("dnf", ["install", "-y", "kubelet-1.35.4", "--disableexcludes=kubernetes"]);
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /^ {2}- Curl error \(6\): Couldn't resolve host name for https:\/\/mirrors\.aliyun\.com\/kubernetes-new\/core\/stable\/v1\.35\/rpm\/repodata\/repomd\.xml \[Could not resolve host: mirrors\.aliyun\.com\]$/m,
    );
    assert.match(r.stderr, /^Error: Failed to download metadata for repo 'kubernetes': Cannot download repomd\.xml/m);
  });

  it("the seed's legacy aliyun repo has no 1.35", () => {
    lab.write(
      "/etc/yum.repos.d/kubernetes.repo",
      "[kuberneters]\nname=kuberneters repo\nbaseurl=https://mirrors.aliyun.com/kubernetes/yum/repos/kubernetes-el7-x86_64/\ngpgcheck=1\nenabled=1\ngpgkey=https://mirrors.aliyun.com/kubernetes/yum/doc/rpm-package-key.gpg\n",
    );
    assert.equal(lab.run("dnf", ["install", "-y", "kubelet-1.35.4"]).code, 1);
    assert.equal(lab.run("dnf", ["install", "-y", "kubelet-1.28.2"]).code, 0);
  });

  it("containerd.io from the docker-ce repo fetched with curl", () => {
    const r = lab.run("curl", [
      "-fsSL",
      "-o",
      "/etc/yum.repos.d/docker-ce.repo",
      "https://download.docker.com/linux/centos/docker-ce.repo",
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      lab.read("/etc/yum.repos.d/docker-ce.repo"),
      /^baseurl=https:\/\/download\.docker\.com\/linux\/centos\/\$releasever\/\$basearch\/stable$/m,
    );
    const i = lab.run("dnf", ["install", "-y", "containerd.io-1.7.28"]);
    assert.equal(i.code, 0, i.stderr);
    assert.match(i.stdout, /container-selinux/);
    assert.equal(lab.run("rpm", ["-q", "containerd.io"]).stdout, "containerd.io-1.7.28-1.el9.x86_64\n");
    assert.match(lab.run("containerd", ["--version"]).stdout, /^containerd /, "the real containerd");
    assert.deepEqual(lab.services(), {}, "not enabled or started by rpm");
  });

  it("dnf config-manager --add-repo, and a gpgkey that is not the repo's key", () => {
    let r = lab.run("dnf", [
      "config-manager",
      "--add-repo",
      "https://mirrors.aliyun.com/docker-ce/linux/centos/docker-ce.repo",
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, "Adding repo from: https://mirrors.aliyun.com/docker-ce/linux/centos/docker-ce.repo\n");
    lab.write(
      "/etc/yum.repos.d/docker-ce.repo",
      lab
        .read("/etc/yum.repos.d/docker-ce.repo")
        .replace(/gpgkey=.*/g, "gpgkey=https://pkgs.k8s.io/core:/stable:/v1.35/rpm/repodata/repomd.xml.key"),
    );
    r = lab.run("dnf", ["install", "-y", "containerd.io"]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^Error: GPG check FAILED$/m);
    assert.equal(lab.run("rpm", ["-q", "containerd.io"]).code, 1);
  });

  it("not root", () => {
    lab.write("/etc/yum.repos.d/kubernetes.repo", K8S_REPO());
    const r = lab.run("dnf", ["install", "-y", "kubelet"], { env: { LAB_UID: "1500" } });
    assert.equal(r.code, 1);
    assert.equal(
      r.stderr,
      "Error: This command has to be run with superuser privileges (under the root user on most systems).\n",
    );
  });

  it("dnf remove deletes the package's files", () => {
    lab.write("/etc/yum.repos.d/kubernetes.repo", K8S_REPO());
    lab.run("dnf", ["install", "-y", "kubelet-1.35.4", "--disableexcludes=kubernetes"]);
    assert.ok(lab.exists("/usr/bin/kubelet"));
    assert.equal(lab.run("dnf", ["remove", "-y", "kubelet"]).code, 0);
    assert.equal(lab.exists("/usr/bin/kubelet"), false);
    assert.equal(lab.run("rpm", ["-q", "kubelet"]).code, 1);
  });
});
