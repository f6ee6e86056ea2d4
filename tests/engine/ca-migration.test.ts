// A stack created with the release before the tls provider made the CA (its CA a ClusterCa resource), upgraded to
// this program, on real nodes with the real engine: the first preview refuses the new CA rather than planning a new
// cluster, `npm run migrate-ca` moves the stack's CA into its config, and then nothing is replaced, no host is
// touched, and a worker joining afterwards pins the same CA's hash. Last, the cluster is destroyed and built again
// from that config: a cluster made from a CA the user supplied, whose join pins its hash.
import { strict as assert } from "assert";
import { execFileSync } from "child_process";
import { createPrivateKey, X509Certificate } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { caCertHash } from "../../kubeadm/ca-hash";
import { LEGACY_CLUSTER_CA_TYPE } from "../../providers/cluster-ca";
import { plainValue } from "../../tools/migrate-ca";
import { repoRoot } from "../../tools/paths";
import { keepCaseOutput, LabStack, type StoredResource } from "../support/lab-stack";

/** The last commit whose program made the CA with the ClusterCa resource. */
const RELEASE = "34c532240919683a22d173324fcb7d5bce61d32c";
const CONTROL_PLANE = "cp1";
const WORKER = "w1";

const plainString = (value: unknown) => plainValue(value) as string;

/** A certificate's SHA-256 fingerprint: the same certificate whatever its PEM line ends. */
function fingerprint(pem: string): string {
  return new X509Certificate(pem).fingerprint256;
}

function byType(resources: StoredResource[], type: RegExp): StoredResource[] {
  return resources.filter((r) => type.test(r.type));
}

describe("a stack whose CA a ClusterCa resource made, after upgrading the program (real nodes, real engine)", function () {
  this.timeout(1_800_000);
  let lab: LabStack;
  let release: string;
  let ca: { certPem: string; keyPem: string; hash: string };

  const stackFile = () => fs.readFileSync(path.join(lab.project.dir, "stacks", "Pulumi.lab.yaml"), "utf8");
  const migrateCa = () =>
    execFileSync("npm", ["run", "-s", "migrate-ca", "--", "lab"], {
      cwd: lab.project.dir,
      env: { ...process.env, ...lab.project.cliEnv },
      encoding: "utf8",
    });

  before(async () => {
    release = fs.mkdtempSync(path.join(os.tmpdir(), "pk-release-"));
    try {
      execFileSync("sh", ["-c", `git -C "${repoRoot}" archive ${RELEASE} | tar -x -C "${release}"`]);
    } catch (error) {
      // A clone without the history (a shallow one) has no release to start from; say so rather than pass.
      throw new Error(`cannot unpack release ${RELEASE} from ${repoRoot}: ${(error as Error).message}`, {
        cause: error,
      });
    }
    // The release's files resolve their packages from where they are: give its tree this checkout's node_modules.
    fs.symlinkSync(path.join(repoRoot, "node_modules"), path.join(release, "node_modules"));
    lab = await LabStack.start({
      lab: "camigrate",
      hosts: [
        { name: CONTROL_PLANE, distro: "ubuntu" },
        { name: WORKER, distro: "rocky" },
      ],
      programRoot: release,
    });
    lab.declareHosts([CONTROL_PLANE], []);
  });

  keepCaseOutput("ca-migration", () => lab);

  after(async () => {
    await lab?.stop();
    if (release) fs.rmSync(release, { recursive: true, force: true });
  });

  it("the release builds a control plane whose CA is a ClusterCa resource", async () => {
    const result = await lab.up();
    assert.equal(result.summary.result, "succeeded", lab.output.slice(-3000));
    const [legacy, ...more] = byType(lab.resources(), new RegExp(`^${LEGACY_CLUSTER_CA_TYPE}$`));
    assert.equal(more.length, 0);
    assert.ok(legacy, "the release's state has a ClusterCa");
    const certPem = plainString(legacy.outputs?.certPem);
    ca = { certPem, keyPem: plainString(legacy.outputs?.keyPem), hash: caCertHash(certPem) };
    assert.equal(await lab.lab.run(CONTROL_PLANE, "cat /etc/kubernetes/pki/ca.crt"), certPem);
  });

  it("after the upgrade, preview refuses a new CA for the cluster and names the way to keep it", async () => {
    lab.project.useProgram(repoRoot);
    const before = lab.resources();
    await assert.rejects(lab.preview(), (error: Error) => {
      assert.match(error.message + lab.output, /cp1: the cluster was initialised with its CA and this would give it/);
      assert.ok((error.message + lab.output).includes("npm run migrate-ca -- <stack>"));
      return true;
    });
    assert.deepEqual(
      lab.resources().map((r) => r.urn),
      before.map((r) => r.urn),
      "a preview changes no state",
    );
  });

  it("npm run migrate-ca moves the CA into the stack's config, the key encrypted; a second run has nothing to do", () => {
    const said = migrateCa();
    assert.match(said, /stack lab: its cluster CA is now clusterCa.certPem and clusterCa.keyPem \(encrypted\)/);
    const file = stackFile();
    const keyBody = ca.keyPem.split("\n").filter((line) => line && !line.startsWith("-----"));
    for (const line of keyBody) assert.ok(!file.includes(line), "the CA key is in the stack file in plain text");
    assert.match(file, /keyPem:\s*\n?\s*secure: /);
    assert.equal(
      lab.project.cli(["config", "get", "--stack", "lab", "--path", "pulumi-kubeadm:clusterCa.keyPem"]).trimEnd(),
      ca.keyPem.trimEnd(),
    );
    assert.match(migrateCa(), /config holds its CA already/);
  });

  it("preview then plans the old ClusterCa's deletion and nothing else: no new CA, control plane or host step", async () => {
    const result = await lab.preview();
    const { same, ...changes } = result.changeSummary;
    assert.deepEqual(changes, { delete: 1 }, lab.output.slice(-3000));
    assert.ok((same ?? 0) > 10, JSON.stringify(result.changeSummary));
    assert.match(lab.output, /pulumi-nodejs:dynamic\/pulumi-kubeadm:ClusterCa\s+\S+\s+delete/);
  });

  it("up deletes only the ClusterCa, without logging in to any host", async () => {
    const logins = lab.logins(CONTROL_PLANE);
    const result = await lab.up();
    assert.equal(result.summary.result, "succeeded", lab.output.slice(-3000));
    const { same, ...changes } = result.summary.resourceChanges ?? {};
    assert.deepEqual(changes, { delete: 1 });
    assert.ok((same ?? 0) > 10);
    assert.equal(lab.logins(CONTROL_PLANE), logins, "the up logged in to the control plane");
    const resources = lab.resources();
    assert.deepEqual(byType(resources, /ClusterCa|^tls:/), [], "no CA resource is left or made");
    assert.equal(result.outputs.caCertHash?.value, ca.hash);
  });

  /** The worker has joined: it is a Node, its join pinned the CA's hash, and it trusts the CA. */
  async function assertWorkerPinned(): Promise<void> {
    assert.deepEqual(await lab.nodeNames(), [CONTROL_PLANE, WORKER]);
    const [join] = lab.resources().filter((r) => /:KubeadmJoin$/.test(r.type) && r.outputs?.nodeName === WORKER);
    assert.ok(join, "the worker's join is in the state");
    assert.equal(plainString(join.outputs?.caCertHash), ca.hash);
    // kubeadm join writes the CA it fetched, PEM-encoded anew (the release's ClusterCa wrote CRLF line ends).
    assert.equal(fingerprint(await lab.lab.run(WORKER, "cat /etc/kubernetes/pki/ca.crt")), fingerprint(ca.certPem));
  }

  it("a worker joining afterwards pins the same CA's hash", async () => {
    lab.declareHosts([CONTROL_PLANE], [WORKER]);
    const result = await lab.up();
    assert.equal(result.summary.result, "succeeded", lab.output.slice(-3000));
    await assertWorkerPinned();
  });

  it("destroyed and built again, the cluster is made from the CA in the config: init takes it, the join pins it", async () => {
    const destroyed = await lab.destroy();
    assert.equal(destroyed.summary.result, "succeeded", lab.output.slice(-3000));
    const result = await lab.up();
    assert.equal(result.summary.result, "succeeded", lab.output.slice(-3000));
    assert.equal(
      fingerprint(await lab.lab.run(CONTROL_PLANE, "cat /etc/kubernetes/pki/ca.crt")),
      fingerprint(ca.certPem),
    );
    const keyDer = (pem: string) => createPrivateKey(pem).export({ type: "pkcs8", format: "der" }).toString("hex");
    assert.equal(keyDer(await lab.lab.run(CONTROL_PLANE, "cat /etc/kubernetes/pki/ca.key")), keyDer(ca.keyPem));
    assert.deepEqual(byType(lab.resources(), /ClusterCa|^tls:/), [], "a supplied CA is no resource");
    await assertWorkerPinned();
    const again = await lab.destroy();
    assert.equal(again.summary.result, "succeeded", lab.output.slice(-3000));
  });
});
