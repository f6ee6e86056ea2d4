// The lab as the product meets it: three real hosts reached with the real OpenSSH client only. The package
// managers (doubles: no distribution archive can be reached from here) succeed and fail with the real tools' exit
// codes and texts and install the real binaries; systemd, containerd and the kubelet's unit are the real ones
// (lab/README.md, "Real nodes"). What kubeadm and kubectl do on these hosts is the engine tests' part.
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { startLab, type Lab } from "../../lab";
import { labShell, type LabShell, type ShellOptions } from "../support/lab-shell";
import { PREFIX_LENGTH } from "../../lab/names";
import { repoRoot } from "../../tools/paths";
import { leftovers, snapshot, type MachineSnapshot } from "./leftovers";

const LAB = "overssh";
const VERSION = "v1.35.4";
const APT_MIRROR = "https://mirrors.aliyun.com/kubernetes-new/core/stable/v1.35/deb/";
const YUM_MIRROR = "https://mirrors.aliyun.com/kubernetes-new/core/stable/v1.35/rpm/";

/** An address as a regular expression matches it literally. */
function escaped(address: string): string {
  return address.replace(/\./g, "\\.");
}

describe("lab over ssh: hosts, packages and services as the real tools", function () {
  this.timeout(300_000);
  let lab: Lab | undefined;
  let tmp: string;
  let machineBefore: MachineSnapshot;

  let shell: LabShell;
  const ssh = (host: string, command: string, options?: ShellOptions) => shell.ssh(host, command, options);
  const ok = (host: string, command: string, options?: ShellOptions) => shell.ok(host, command, options);
  const fails = (host: string, command: string, code: number) => shell.fails(host, command, code);

  /** The HostPrep script as the product runs it: lib.sh prepended, settings in the environment. */
  function repositoriesScript(): string {
    const dir = path.join(repoRoot, "components", "host-prep", "scripts");
    return (
      `${fs.readFileSync(path.join(dir, "lib.sh"), "utf8")}\n` +
      fs.readFileSync(path.join(dir, "package-repositories.sh"), "utf8")
    );
  }

  before(async function () {
    machineBefore = snapshot();
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "lab-overssh-"));
    lab = await startLab({
      name: LAB,
      hosts: [
        { name: "cp1", distro: "ubuntu" },
        { name: "w1", distro: "rocky" },
        { name: "w2", distro: "ubuntu" },
      ],
    });
    shell = labShell(lab, tmp);
  });

  after(async function () {
    await lab?.stop();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
    if (machineBefore) assert.deepEqual(leftovers(LAB, machineBefore), []);
  });

  it("reaches three isolated hosts, each with its own name, distribution, address and files", async function () {
    const [cp1, w1, w2] = await Promise.all(
      ["cp1", "w1", "w2"].map((h) => ok(h, ". /etc/os-release; echo $(hostname) $ID; ip -o -4 addr show eth0")),
    );
    const inet = (host: string) => ` inet ${escaped(lab!.host(host).address)}\\/${PREFIX_LENGTH} `;
    assert.match(cp1, new RegExp(`^cp1 ubuntu\\n.*${inet("cp1")}`));
    assert.match(w1, new RegExp(`^w1 rocky\\n.*${inet("w1")}`));
    assert.match(w2, new RegExp(`^w2 ubuntu\\n.*${inet("w2")}`));
    await ok("cp1", "echo cp1 > /etc/overssh-marker");
    assert.equal(await ok("cp1", "cat /etc/overssh-marker"), "cp1\n");
    await fails("w2", "test -e /etc/overssh-marker", 1);
    assert.equal(fs.existsSync("/etc/overssh-marker"), false);
    // Each family's tools only; nothing of Kubernetes on a fresh host.
    await fails("w1", "command -v apt-get", 1);
    await fails("cp1", "command -v dnf", 1);
    const r = await fails("cp1", "kubeadm version", 127);
    assert.match(r.stderr, /kubeadm: command not found/);
  });

  it("apt installs kubelet only from a well-formed repository of the mirror, in a version the mirror has", async function () {
    let r = await fails("cp1", "apt-get install -y kubelet", 100);
    assert.ok(r.stderr.includes("E: Unable to locate package kubelet\n"), r.stderr);

    // A malformed definition stops apt from reading any source.
    await ok(
      "cp1",
      `echo 'deb [signed-by=/etc/apt/keyrings/kubernetes-apt-keyring.gpg ${APT_MIRROR} /' > /etc/apt/sources.list.d/kubernetes.list`,
    );
    r = await fails("cp1", "apt-get update -q", 100);
    assert.ok(
      r.stderr.includes(
        "E: Malformed entry 1 in list file /etc/apt/sources.list.d/kubernetes.list ([option] unparsable)\n" +
          "E: The list of sources could not be read.\n",
      ),
      r.stderr,
    );
    await ok("cp1", "rm /etc/apt/sources.list.d/kubernetes.list");

    // The product's own commands (HostPrep's package-repositories.sh), on both Ubuntu hosts.
    const env = `APT_KUBERNETES_REPOSITORY=${APT_MIRROR} APT_KUBERNETES_KEY_URL=${APT_MIRROR}Release.key APT_CONTAINERD_REPOSITORY=`;
    const [cp1, w2] = await Promise.all(
      ["cp1", "w2"].map((h) => ok(h, `${env} sh -s`, { input: repositoriesScript() })),
    );
    for (const out of [cp1, w2]) {
      assert.ok(out.includes(`Get:1 ${APT_MIRROR.replace(/\/$/, "")}  InRelease`), out);
      assert.ok(out.endsWith("package repositories configured (apt)\n"), out);
    }
    assert.equal(
      await ok("cp1", "cat /etc/apt/sources.list.d/kubernetes.list"),
      `deb [signed-by=/etc/apt/keyrings/kubernetes-apt-keyring.gpg] ${APT_MIRROR} /\n`,
    );

    // A repository the mirror does not have.
    await ok(
      "cp1",
      `echo 'deb [signed-by=/etc/apt/keyrings/kubernetes-apt-keyring.gpg] ${APT_MIRROR.replace("v1.35", "v1.99")} /' > /etc/apt/sources.list.d/v199.list`,
    );
    r = await fails("cp1", "apt-get update -q", 100);
    assert.ok(
      r.stderr.includes(
        `E: The repository '${APT_MIRROR.replace("v1.35", "v1.99").replace(/\/$/, "")}  Release' does not have a Release file.\n`,
      ),
      r.stderr,
    );
    await ok("cp1", "rm /etc/apt/sources.list.d/v199.list && apt-get update -q");

    r = await fails("cp1", "apt-get install -y kubelet=1.35.9-1.1", 100);
    assert.ok(r.stderr.includes("E: Version '1.35.9-1.1' for 'kubelet' was not found\n"), r.stderr);

    const out = await ok(
      "cp1",
      "DEBIAN_FRONTEND=noninteractive apt-get install -y -q kubelet=1.35.4-1.1 kubeadm=1.35.4-1.1 kubectl=1.35.4-1.1 containerd",
    );
    for (const line of ["Setting up kubelet (1.35.4-1.1) ...", "Setting up kubeadm (1.35.4-1.1) ..."])
      assert.ok(out.includes(line), out);
    assert.equal(await ok("cp1", "kubeadm version -o short"), `${VERSION}\n`);
    assert.equal(await ok("cp1", "dpkg-query -W -f='${Version}' kubelet"), "1.35.4-1.1");
    // Installed on cp1 only.
    await fails("w2", "command -v kubelet", 1);
  });

  it("dnf installs the excluded Kubernetes packages only with --disableexcludes=kubernetes", async function () {
    let r = await fails("w1", "dnf install -y kubelet-1.35.4", 1);
    assert.ok(r.stdout.includes("No match for argument: kubelet-1.35.4\n"), r.stdout);
    assert.ok(r.stderr.includes("Error: Unable to find a match: kubelet-1.35.4\n"), r.stderr);

    const env =
      `YUM_KUBERNETES_REPOSITORY=${YUM_MIRROR} YUM_KUBERNETES_KEY_URL=${YUM_MIRROR}repodata/repomd.xml.key ` +
      "YUM_CONTAINERD_REPOSITORY=https://mirrors.aliyun.com/docker-ce/linux/centos/";
    assert.ok(
      (await ok("w1", `${env} sh -s`, { input: repositoriesScript() })).endsWith(
        "package repositories configured (dnf)\n",
      ),
    );
    assert.match(
      await ok("w1", "cat /etc/yum.repos.d/kubernetes.repo"),
      /^exclude=kubelet kubeadm kubectl cri-tools kubernetes-cni$/m,
    );

    r = await fails("w1", "dnf install -y kubelet-1.35.4", 1);
    assert.ok(
      r.stdout.includes("All matches were filtered out by exclude filtering for argument: kubelet-1.35.4\n"),
      r.stdout,
    );
    assert.ok(r.stderr.includes("Error: Unable to find a match: kubelet-1.35.4\n"), r.stderr);

    r = await fails("w1", "dnf install -y --disableexcludes=kubernetes kubelet-1.35.9", 1);
    assert.ok(r.stdout.includes("No match for argument: kubelet-1.35.9\n"), r.stdout);

    const out = await ok(
      "w1",
      "dnf install -y --disableexcludes=kubernetes kubelet-1.35.4 kubeadm-1.35.4 kubectl-1.35.4 && dnf install -y containerd.io",
    );
    assert.ok(out.includes("Complete!\n"), out);
    assert.equal(await ok("w1", "rpm -q kubeadm"), "kubeadm-1.35.4-150500.1.1.x86_64\n");
    // The package managers are doubles; what they install is real (lab/real-packages.ts).
    assert.match(await ok("w1", "containerd --version"), /^containerd github\.com\/containerd\/containerd /);
  });

  it("systemctl keeps unit state: enable, start, stop, restart, is-active, and a missing unit's errors", async function () {
    // RPM policy: nothing enabled or started by the install.
    let r = await fails("w1", "systemctl is-enabled containerd", 1);
    assert.equal(r.stdout, "disabled\n");
    r = await fails("w1", "systemctl is-active containerd", 3);
    assert.equal(r.stdout, "inactive\n");

    // containerd.io ships CRI disabled: the default config turns it on.
    await ok("w1", "containerd config default > /etc/containerd/config.toml");
    r = await ssh("w1", "systemctl enable --now containerd");
    assert.equal(r.code, 0, r.stderr);
    // Every host's systemd is the machine's (Debian's, whose /lib is /usr/lib): it names the unit by /lib.
    assert.match(
      r.stderr,
      /^Created symlink \/etc\/systemd\/system\/multi-user\.target\.wants\/containerd\.service → (\/usr)?\/lib\/systemd\/system\/containerd\.service\.\n$/,
    );
    assert.equal(await ok("w1", "systemctl is-enabled containerd"), "enabled\n");
    assert.equal(await ok("w1", "systemctl is-active containerd"), "active\n");
    await ok("w1", "systemctl stop containerd");
    assert.equal((await fails("w1", "systemctl is-active containerd", 3)).stdout, "inactive\n");
    await ok("w1", "systemctl start containerd");
    assert.equal(await ok("w1", "systemctl is-active containerd"), "active\n");
    await ok("w1", "systemctl restart containerd");
    assert.equal(await ok("w1", "systemctl is-active containerd"), "active\n");

    // The kubelet waits for kubeadm's config: "activating" is not active.
    await ok("w1", "systemctl enable --now kubelet");
    assert.equal((await fails("w1", "systemctl is-active kubelet", 3)).stdout, "activating\n");

    r = await fails("w1", "systemctl start nosuch", 5);
    assert.equal(r.stderr, "Failed to start nosuch.service: Unit nosuch.service not found.\n");
    assert.equal((await fails("w1", "systemctl is-active nosuch", 3)).stdout, "inactive\n");
    r = await fails("w1", "systemctl enable nosuch", 1);
    assert.equal(r.stderr, "Failed to enable unit: Unit file nosuch.service does not exist.\n");
    r = await fails("w1", "systemctl status nosuch", 4);
    assert.equal(r.stderr, "Unit nosuch.service could not be found.\n");

    // Debian policy on cp1: containerd and the kubelet enabled and started by the install.
    assert.equal(await ok("cp1", "systemctl is-enabled kubelet containerd"), "enabled\nenabled\n");
    assert.equal(await ok("cp1", "systemctl is-active containerd"), "active\n");
  });
});
