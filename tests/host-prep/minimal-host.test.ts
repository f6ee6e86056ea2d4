// HostPrep on a minimal Ubuntu install, without curl, gpg and ca-certificates (issue 15): the package-repositories
// step installs them from the distribution's repositories before it fetches the keys, and its undo removes exactly
// what it added, so the host is as it was. A host that has them is left alone (no apt-get update for them). The step
// runs as its Command runs it, the undo as the host's PreparedHost does (tests/support/host-steps).
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { hostPrepSteps, type HostPrepStep } from "../../components/host-prep/steps";
import { startLab, type Lab } from "../../lab";
import { labConnection } from "../support/lab-connection";
import { labShell, type LabShell } from "../support/lab-shell";
import { runStepCommand, undoOnHost } from "../support/host-steps";
import { clusterSpec, workerNode } from "../kubeadm/cluster-spec-fixture";

const LAB = "dkminimal";
const APT_MIRROR = "https://mirrors.aliyun.com/kubernetes-new/core/stable/v1.35/deb/";

const repositories = (): HostPrepStep =>
  hostPrepSteps(
    clusterSpec("v1.35.4", {
      packages: {
        apt: { kubernetesRepository: APT_MIRROR, kubernetesKeyUrl: `${APT_MIRROR}Release.key` },
        yum: clusterSpec("v1.35.4").packages.yum,
      },
    }),
    workerNode(),
  ).find((step) => step.name === "package-repositories")!;

describe("HostPrep on a minimal host", function () {
  this.timeout(300_000);
  let lab: Lab | undefined;
  let tmp: string;
  let shell: LabShell;

  const runStep = (host: string) => runStepCommand(shell, host, repositories());
  const undo = (host: string) => undoOnHost(labConnection(lab!, host), host, [repositories()]);
  /** Files with checksums where the step writes, the tools' files, the product's state, the installed packages. */
  const listing = (host: string) =>
    shell.ok(
      host,
      "for root in /etc/apt /var/lib/pulumi-kubeadm /usr/bin/curl /usr/bin/gpg /etc/ssl/certs/ca-certificates.crt; do " +
        '[ -e "$root" ] && find "$root" -xdev -printf \'%p %m %y\\n\'; done | sort; ' +
        "find /etc/apt -type f -exec md5sum {} + | sort; dpkg-query -W | sort",
    );

  before(async function () {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "lab-dkminimal-"));
    lab = await startLab({
      name: LAB,
      hosts: [
        { name: "m1", distro: "ubuntu", minimal: true },
        { name: "u1", distro: "ubuntu" },
      ],
    });
    shell = labShell(lab, tmp);
  });

  after(async function () {
    await lab?.stop();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  it("has no curl, gpg or ca-certificates until apt installs them", async () => {
    for (const tool of ["curl", "gpg"]) {
      const missing = await shell.ssh("m1", `${tool} --version`);
      assert.equal(missing.code, 127, `${tool}: ${missing.stdout}`);
    }
    assert.equal((await shell.ssh("m1", "dpkg-query -W -f='${Status}' ca-certificates")).code, 1);
  });

  it("installs the missing tools, configures the repositories, and the undo removes exactly what it added", async () => {
    const before = await listing("m1");
    const prepared = await runStep("m1");
    assert.equal(prepared.code, 0, prepared.stderr);
    assert.match(prepared.stdout, /the host lacks: curl gpg ca-certificates/);
    await shell.ok("m1", "command -v curl && gpg --version >/dev/null");
    assert.match(await shell.ok("m1", "cat /etc/apt/keyrings/kubernetes-apt-keyring.gpg | wc -c"), /^[1-9]/);
    assert.equal(
      await shell.ok("m1", "cat /var/lib/pulumi-kubeadm/prerequisites-added"),
      "ca-certificates\ncurl\ngpg\n",
    );
    await shell.ok(
      "m1",
      "apt-get install -y -q kubectl=1.35.4-1.1 >/dev/null && apt-get purge -y -q kubectl >/dev/null",
    );

    await undo("m1");
    assert.equal(await listing("m1"), before);
    assert.equal((await shell.ssh("m1", "curl --version")).code, 127);
  });

  it("leaves a host that has the tools alone: no apt-get update for them, nothing to remove on undo", async () => {
    const packages = await shell.ok("u1", "dpkg-query -W | sort");
    const prepared = await runStep("u1");
    assert.equal(prepared.code, 0, prepared.stderr);
    assert.doesNotMatch(prepared.stdout, /the host lacks/);
    const updates = (await shell.ok("u1", "grep -c 'apt-get update' /var/log/lab/commands.log")).trim();
    assert.equal(updates, "1", "one apt-get update: the repositories' own");
    await undo("u1");
    assert.equal(await shell.ok("u1", "dpkg-query -W | sort"), packages);
  });
});
