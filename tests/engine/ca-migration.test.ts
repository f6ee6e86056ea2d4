// A stack created with the release before the tls and command providers (its CA a ClusterCa resource, its host steps
// RemoteStep resources), upgraded to this program, on real nodes with the real engine: the first preview refuses the
// new CA rather than planning a new cluster, `npm run migrate-ca` moves the stack's CA into its config, and then no
// CA, control plane or join is replaced; the host steps move to command:remote:Command (run again, idempotent) and the
// old RemoteSteps leave the state without undoing anything; a worker joining afterwards pins the same CA's hash. Last,
// the cluster is destroyed and built again from that config: a cluster made from a CA the user supplied, whose join
// pins its hash.
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
import type { EngineEvent } from "@pulumi/pulumi/automation";
import { assertSameLines, keepCaseOutput, LabStack, type StoredResource } from "../support/lab-stack";

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

  /** Each planned or done change, as "op type", with how many resources of that type, sorted. */
  function changesByType(ops: { op: string; type: string }[]): string[] {
    const counts = new Map<string, number>();
    for (const { op, type } of ops) counts.set(`${op} ${type}`, (counts.get(`${op} ${type}`) ?? 0) + 1);
    return [...counts].map(([key, n]) => `${key} ×${n}`).sort();
  }

  let stepCount = 0;
  let listingBefore = "";

  it("preview then plans the old resources' deletion and the host steps' move, and no new CA, control plane or join", async () => {
    const planned: { op: string; type: string }[] = [];
    const onEvent = (event: EngineEvent) => {
      const step = event.resourcePreEvent?.metadata;
      if (step && step.op !== "same") planned.push({ op: step.op, type: step.type });
    };
    await lab.preview({ onEvent });
    stepCount = planned.filter((p) => p.type === "command:remote:Command").length;
    assert.ok(stepCount >= 8, `${stepCount} host steps`);
    // The engine's records of the providers themselves change too (the command provider is new; the dynamic
    // provider's record is updated): no host is behind them, and none is deleted or replaced.
    const providers = planned.filter((p) => p.type.startsWith("pulumi:providers:"));
    assert.deepEqual(
      providers.filter((p) => p.op !== "create" && p.op !== "update"),
      [],
      JSON.stringify(providers),
    );
    assert.ok(providers.some((p) => p.op === "create" && p.type === "pulumi:providers:command"));
    assert.deepEqual(changesByType(planned.filter((p) => !providers.includes(p))), [
      `create command:remote:Command ×${stepCount}`,
      "create pulumi-nodejs:dynamic/pulumi-kubeadm:PreparedHost ×1",
      `delete ${LEGACY_CLUSTER_CA_TYPE} ×1`,
      `delete pulumi-nodejs:dynamic/pulumi-kubeadm:RemoteStep ×${stepCount}`,
    ]);
  });

  it("up moves the host steps without undoing any: the host is as before, the CA and cluster unchanged", async () => {
    listingBefore = await lab.listing(CONTROL_PLANE);
    const result = await lab.up();
    assert.equal(result.summary.result, "succeeded", lab.output.slice(-3000));
    const { same, ...changes } = result.summary.resourceChanges ?? {};
    assert.deepEqual(changes, { create: stepCount + 1, delete: stepCount + 1 });
    assert.ok((same ?? 0) > 3);
    // The old RemoteSteps' deletes found each step run by its Command and left the host alone.
    assert.match(lab.output, /run by command:remote:Command since; its delete undoes it/);
    assertSameLines(await lab.listing(CONTROL_PLANE), listingBefore, "cp1 is not as before the move");
    assert.deepEqual(byType(lab.resources(), /ClusterCa|RemoteStep|^tls:/), [], "no old or new CA resource is left");
    assert.equal(result.outputs.caCertHash?.value, ca.hash);
    assert.deepEqual(await lab.nodeNames(), [CONTROL_PLANE]);
  });

  it("a second up changes nothing and logs in to no host", async () => {
    const logins = lab.logins(CONTROL_PLANE);
    const result = await lab.up();
    assert.deepEqual(
      Object.entries(result.summary.resourceChanges ?? {}).filter(([op]) => op !== "same"),
      [],
    );
    assert.equal(lab.logins(CONTROL_PLANE), logins);
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
