// `pulumi preview` of the dev stack with the real engine: it must plan the cluster from configuration
// alone and never open a connection to a host.
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { parseDocument } from "yaml";
import { engineProject, DEMO_PASSPHRASE, type EngineProject } from "../support/engine";
import { startTcpRelay, type TcpRelay } from "../support/sshd";
import { repoRoot } from "../../tools/paths";
import { hostPrepSteps } from "../../components/host-prep/steps";
import { clusterSpec, controlPlaneNode, workerNode } from "../kubeadm/cluster-spec-fixture";
import type { NodeSpec } from "../../config/spec";

describe("pulumi preview -s dev (real engine)", function () {
  this.timeout(240_000);
  let project: EngineProject;
  const relays: TcpRelay[] = [];

  before(async () => {
    project = await engineProject(DEMO_PASSPHRASE);
  });

  after(async () => {
    for (const relay of relays) await relay.close();
    project?.remove();
  });

  it("plans the cluster CA (tls) and each host step (a Command) without contacting any host", async () => {
    const doc = parseDocument(fs.readFileSync(path.join(repoRoot, "stacks", "Pulumi.dev.yaml"), "utf8"));
    const hostLists = ["pulumi-kubeadm:controlPlane", "pulumi-kubeadm:workers"] as const;
    const hostNames: [string, (typeof hostLists)[number]][] = [];
    for (const key of hostLists) {
      const list = doc.getIn(["config", key]) as { items: unknown[] };
      for (let index = 0; index < list.items.length; index++) {
        // Each host points at its own local port that counts connection attempts.
        const relay = await startTcpRelay(() => "reset");
        relays.push(relay);
        // The cluster keeps the documented addresses; only SSH goes to the counting port.
        doc.setIn(["config", key, index, "advertiseAddress"], doc.getIn(["config", key, index, "address"]));
        doc.setIn(["config", key, index, "address"], "127.0.0.1");
        doc.setIn(["config", key, index, "port"], relay.port);
        hostNames.push([String(doc.getIn(["config", key, index, "name"])), key]);
      }
    }
    assert.equal(hostNames.length, 3, "the dev stack has the seed's three hosts");
    const stack = await project.stack("dev", doc.toString());

    let output = "";
    const result = await stack.preview({ onOutput: (text) => (output += text) });

    assert.match(output, /pulumi-kubeadm:index:KubeadmCluster\s+cluster\s+create/);
    // The CA is the tls provider's (and no dynamic resource of ours makes it).
    assert.match(output, /tls:index(\/privateKey)?:PrivateKey\s+cluster-ca-key\s+create/);
    assert.match(output, /tls:index(\/selfSignedCert)?:SelfSignedCert\s+cluster-ca\s+create/);
    assert.doesNotMatch(output, /ClusterCa/);
    // Every host's preparation is the command provider's, a Command per HostPrep step, and no RemoteStep of ours.
    const stepNames = (node: NodeSpec) => hostPrepSteps(clusterSpec("v1.35.4"), node).map((step) => step.name);
    const roles: Record<(typeof hostLists)[number], NodeSpec> = {
      "pulumi-kubeadm:controlPlane": controlPlaneNode(),
      "pulumi-kubeadm:workers": workerNode(),
    };
    const commands = [...output.matchAll(/command:remote:Command\s+(\S+)\s+create/g)].map(([, name]) => name);
    let expected = 0;
    for (const [host, key] of hostNames) {
      const prefix = `cluster-${host}-prep-`;
      const own = commands.filter((name) => name.startsWith(prefix)).map((name) => name.slice(prefix.length));
      assert.deepEqual(own, stepNames(roles[key]), `${host}'s steps`);
      expected += own.length;
    }
    assert.equal(commands.length, expected, commands.join(" "));
    assert.doesNotMatch(output, /RemoteStep/);
    assert.ok((result.changeSummary.create ?? 0) >= 3, JSON.stringify(result.changeSummary));
    const attempts = relays.reduce((sum, relay) => sum + relay.connections(), 0);
    assert.equal(attempts, 0, "preview must not open any connection to a host");
    assert.doesNotMatch(output, /BEGIN OPENSSH PRIVATE KEY/);

    // Every add-on the dev stack enables is planned from the vendored manifests, offline (automatic plugin
    // downloads are off): the Kubernetes provider is the one tools/setup built.
    for (const component of ["Flannel", "Dashboard", "RookCeph"]) {
      assert.match(output, new RegExp(`pulumi-kubeadm:addons:${component}\\s+\\S+\\s+create`), component);
    }
    assert.match(output, /kubernetes:apps\/v1:DaemonSet\s+\S*kube-flannel\S*\s+create/);
    assert.match(output, /kubernetes:apiextensions.k8s.io\/v1:CustomResourceDefinition\s+\S*cephclusters\S*\s+create/);
    assert.match(output, /kubernetes:ceph.rook.io\/v1:CephCluster\s+\S+\s+create/);
    assert.match(output, /kubernetes:apps\/v1:Deployment\s+\S*kubernetes-dashboard\S*\s+create/);
    assert.ok((result.changeSummary.create ?? 0) > 150, JSON.stringify(result.changeSummary));
  });

  it("refuses values that cannot be right before planning anything, naming each key path", async () => {
    const doc = parseDocument(fs.readFileSync(path.join(repoRoot, "stacks", "Pulumi.dev.yaml"), "utf8"));
    const workerAddress = String(doc.getIn(["config", "pulumi-kubeadm:workers", 0, "address"]));
    doc.setIn(["config", "pulumi-kubeadm:apiServer", "extraArgs", "audit-log-path"], "/var/log/a.log\n--x=y");
    doc.setIn(
      ["config", "pulumi-kubeadm:packages", "yum", "kubernetesRepository"],
      "https://mirrors.aliyun.com/kubernetes-new/core/stable/v1.35/rpm/\ngpgcheck=0",
    );
    doc.setIn(["config", "pulumi-kubeadm:addons", "rookCeph", "dataDirHostPath"], "var/lib/rook");
    doc.setIn(["config", "pulumi-kubeadm:workers", 0, "bastion"], {
      address: workerAddress,
      insecureIgnoreHostKey: true,
    });
    const stack = await project.stack("dev-refused", doc.toString());
    // Secrets are decrypted for the program: an encrypted key that is not a key is caught there.
    project.cli([
      "config",
      "set",
      "--secret",
      "--path",
      "ssh.privateKey",
      "paste-your-key-here",
      "--stack",
      "dev-refused",
    ]);

    let output = "";
    await assert.rejects(stack.preview({ onOutput: (text) => (output += text) }), (error: Error) => {
      output += error.message;
      return true;
    });
    for (const key of [
      "pulumi-kubeadm:apiServer.extraArgs.audit-log-path: '/var/log/a.log\\n--x=y' contains a line break",
      "pulumi-kubeadm:packages.yum.kubernetesRepository: 'https://mirrors.aliyun.com/kubernetes-new/core/stable/v1.35/rpm/\\ngpgcheck=0' contains a line break",
      "pulumi-kubeadm:addons.rookCeph.dataDirHostPath: 'var/lib/rook' is not an absolute path",
      `pulumi-kubeadm:workers[0].bastion.address: '${workerAddress}' port 22 is workers[0] (worker01) itself`,
      "pulumi-kubeadm:ssh.privateKey: is not a private key ssh2 can read",
    ]) {
      assert.ok(output.includes(key), `expected ${JSON.stringify(key)} in:\n${output}`);
    }
    assert.doesNotMatch(output, /paste-your-key-here/);
    assert.doesNotMatch(output, /^gpgcheck=0/m, "a value's line break must not start a line of the report");
    assert.doesNotMatch(output, /\bcreate\b.*KubeadmCluster/, "nothing is planned from a refused config");
  });

  it("previews a stack without the dashboard with no 'Undefined value' warning", async () => {
    const doc = parseDocument(fs.readFileSync(path.join(repoRoot, "stacks", "Pulumi.dev.yaml"), "utf8"));
    doc.setIn(["config", "pulumi-kubeadm:addons", "dashboard", "enabled"], false);
    const stack = await project.stack("dev-no-dashboard", doc.toString());

    let output = "";
    const result = await stack.preview({ onOutput: (text) => (output += text) });
    output += result.stderr;

    assert.match(output, /pulumi-kubeadm:addons:Flannel\s+\S+\s+create/, "the other add-ons are still planned");
    assert.doesNotMatch(output, /pulumi-kubeadm:addons:Dashboard/);
    // Pulumi warns "Undefined value (dashboardToken) will not show as a stack output" when one is exported.
    assert.deepEqual(
      output.split("\n").filter((line) => /Undefined value|dashboardToken/.test(line)),
      [],
      "no token output, and no warning about one, for a UI that is not deployed",
    );
  });
});
