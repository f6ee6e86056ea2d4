// The package doubles install the Kubernetes version asked for: the real binaries of KUBERNETES_PREVIOUS_VERSION
// (1.34.4) from the v1.34 repositories, then, as an upgrade does, the pinned version's (1.35.4) over them from the
// v1.35 ones, each with the version the package database reports (lab/doubles/lib/packages.js, realTree).
import { strict as assert } from "assert";
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { pinnedVersions, toolCache } from "../../tools/paths";
import { DoublesLab } from "./doubles-harness";

const { KUBERNETES_VERSION: PINNED, KUBERNETES_PREVIOUS_VERSION: PREVIOUS } = pinnedVersions();
const minor = (version: string) => version.split(".").slice(0, 2).join(".");
const TOOLS = ["kubeadm", "kubelet", "kubectl"];
const INSTALL = ["install", "-y", "-q", "--allow-change-held-packages", "--allow-downgrades"];

const escape = (text: string) => text.replace(/[.()]/g, "\\$&");
const digest = (file: string) => crypto.createHash("sha256").update(fs.readFileSync(file)).digest("hex");
/** The set-up's build of a tool at a version (tools/setup, ensure_kubernetes). */
const built = (version: string, tool: string) => path.join(toolCache(), `kubernetes-v${version}`, "bin", tool);

/** Each tool's own report of its version, and whether /usr/bin holds the set-up's binary of `version`. */
function assertTools(lab: DoublesLab, version: string): void {
  assert.equal(lab.run("kubeadm", ["version", "-o", "short"]).stdout, `v${version}\n`);
  assert.equal(lab.run("kubelet", ["--version"]).stdout, `Kubernetes v${version}\n`);
  const client = JSON.parse(lab.run("kubectl", ["version", "--client", "-o", "json"]).stdout) as {
    clientVersion: { gitVersion: string };
  };
  assert.equal(client.clientVersion.gitVersion, `v${version}`);
  for (const tool of TOOLS)
    assert.equal(digest(lab.path(`/usr/bin/${tool}`)), digest(built(version, tool)), `/usr/bin/${tool}`);
}

describe("lab doubles: the Kubernetes packages at the previous and the pinned version", function () {
  this.timeout(120_000);
  let current: DoublesLab | undefined;
  const start = (distro: "ubuntu" | "rocky") => (current = new DoublesLab(distro));
  afterEach(() => {
    current?.cleanup();
    current = undefined;
  });

  it("the two versions are one minor apart, and the set-up built both", () => {
    assert.equal(Number(minor(PINNED).split(".")[1]) - Number(minor(PREVIOUS).split(".")[1]), 1);
    for (const version of [PINNED, PREVIOUS])
      for (const tool of TOOLS) assert.ok(fs.existsSync(built(version, tool)), `${built(version, tool)} (tools/setup)`);
  });

  it(`apt: kubeadm=${PREVIOUS}-1.1 from the v${minor(PREVIOUS)} source, then ${PINNED} over it from the v${minor(PINNED)} one`, () => {
    const lab = start("ubuntu");
    const source = (version: string) => `https://pkgs.k8s.io/core:/stable:/v${minor(version)}/deb/`;
    const packages = (version: string) => TOOLS.map((tool) => `${tool}=${version}-1.1`);
    lab.addKubernetesApt(source(PREVIOUS));
    assert.equal(lab.run("apt-get", ["update", "-q"]).code, 0);
    // The v1.34 repository has no 1.35 packages.
    let r = lab.run("apt-get", [...INSTALL, `kubeadm=${PINNED}-1.1`]);
    assert.equal(r.code, 100);
    assert.equal(r.stderr, `E: Version '${PINNED}-1.1' for 'kubeadm' was not found\n`);

    r = lab.run("apt-get", [...INSTALL, ...packages(PREVIOUS), "containerd"]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^${escape(`Setting up kubeadm (${PREVIOUS}-1.1) ...`)}$`, "m"));
    for (const tool of TOOLS)
      assert.equal(lab.run("dpkg-query", ["-W", "-f=${Version}", tool]).stdout, `${PREVIOUS}-1.1`);
    assertTools(lab, PREVIOUS);
    assert.equal(lab.run("apt-mark", ["hold", ...TOOLS]).code, 0);

    // The upgrade as the product's packages step runs it: the source of the next minor, then the held packages.
    lab.addKubernetesApt(source(PINNED));
    assert.equal(lab.run("apt-get", ["update", "-q"]).code, 0);
    r = lab.run("apt-get", ["install", "-y", ...packages(PINNED)]);
    assert.equal(r.code, 100);
    assert.equal(r.stderr, "E: Held packages were changed and -y was used without --allow-change-held-packages.\n");
    assertTools(lab, PREVIOUS);
    r = lab.run("apt-get", [...INSTALL, ...packages(PINNED)]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^The following packages will be upgraded:\n {2}kubeadm kubectl kubelet$/m);
    assert.match(r.stdout, /^3 upgraded, 0 newly installed, 0 to remove and 0 not upgraded\.$/m);
    assert.match(
      r.stdout,
      new RegExp(`^${escape(`Unpacking kubelet (${PINNED}-1.1) over (${PREVIOUS}-1.1) ...`)}$`, "m"),
    );
    for (const tool of TOOLS)
      assert.equal(lab.run("dpkg-query", ["-W", "-f=${Version}", tool]).stdout, `${PINNED}-1.1`);
    assertTools(lab, PINNED);
    assert.equal(lab.run("apt-mark", ["showhold"]).stdout, "kubeadm\nkubectl\nkubelet\n", "still held");
    // The unit files stay the package's.
    assert.ok(lab.exists("/usr/lib/systemd/system/kubelet.service.d/10-kubeadm.conf"));
  });

  it(`dnf: kubeadm-${PREVIOUS} from the aliyun v${minor(PREVIOUS)} mirror, then ${PINNED} over it`, () => {
    const lab = start("rocky");
    const repo = (version: string) => {
      const base = `https://mirrors.aliyun.com/kubernetes-new/core/stable/v${minor(version)}/rpm/`;
      return `[kubernetes]\nname=Kubernetes\nbaseurl=${base}\nenabled=1\ngpgcheck=1\ngpgkey=${base}repodata/repomd.xml.key\nexclude=kubelet kubeadm kubectl cri-tools kubernetes-cni\n`;
    };
    const packages = (version: string) => TOOLS.map((tool) => `${tool}-${version}`);
    const dnf = (...args: string[]) => lab.run("dnf", ["install", "-y", ...args, "--disableexcludes=kubernetes"]);
    lab.write("/etc/yum.repos.d/kubernetes.repo", repo(PREVIOUS));
    let r = dnf(`kubeadm-${PINNED}`);
    assert.equal(r.code, 1);
    assert.match(r.stdout, new RegExp(`^${escape(`No match for argument: kubeadm-${PINNED}`)}$`, "m"));
    assert.equal(r.stderr, `Error: Unable to find a match: kubeadm-${PINNED}\n`);

    r = dnf(...packages(PREVIOUS));
    assert.equal(r.code, 0, r.stderr);
    for (const tool of TOOLS)
      assert.equal(lab.run("rpm", ["-q", tool]).stdout, `${tool}-${PREVIOUS}-150500.1.1.x86_64\n`);
    assertTools(lab, PREVIOUS);

    lab.write("/etc/yum.repos.d/kubernetes.repo", repo(PINNED));
    r = dnf(...packages(PINNED));
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Upgrade {4}3 Packages$/m);
    for (const tool of TOOLS)
      assert.equal(lab.run("rpm", ["-q", tool]).stdout, `${tool}-${PINNED}-150500.1.1.x86_64\n`);
    assertTools(lab, PINNED);
  });
});
