// The first control-plane node of a cluster made for several: `kubeadm init --upload-certs` with a key kept
// out of outputs and progress, kube-vip placed before init, and no adoption of a node that joined a running
// cluster (controlPlane[0] removed from the list).
import { strict as assert } from "assert";
import { parse } from "yaml";
import { createMasterNode } from "../../providers/master-node/create";
import { updateMasterNode } from "../../providers/master-node/update";
import { captureConsole, fakeOpener } from "./kubeadm-fakes";
import { FakeCluster, initInputs, initOutputs } from "./kubeadm-fixtures";

const INIT_CONFIG = "/etc/kubernetes/pulumi-kubeadm/init.yaml";
const KUBE_VIP = "/etc/kubernetes/manifests/kube-vip.yaml";
const HA_CLUSTER = {
  ...initInputs().cluster,
  controlPlaneEndpoint: "192.0.2.100:6443",
  controlPlaneEndpointConfigured: true,
};
const KUBE_VIP_SETTINGS = { address: "192.0.2.100", interface: "eth0", image: "ghcr.io/kube-vip/kube-vip:v1.2.2" };

describe("kubeadm-init provider: HA-ready control plane", () => {
  it("inits with --upload-certs and a certificate key in the config, masked and kept out of the outputs", async () => {
    const cluster = new FakeCluster();
    let key = "";
    cluster.master.on(/^'kubeadm' 'init'/, (_command, host) => {
      key = parse((host.files.get(INIT_CONFIG) ?? "").split("---\n")[0]).certificateKey;
      host.files.set("/etc/kubernetes/admin.conf", "kubeconfig");
      cluster.nodes.add("master01");
      return { stdout: `[upload-certs] Using certificate key:\n${key}\n` };
    });
    const { result, error, lines } = await captureConsole(() =>
      createMasterNode(initInputs({ cluster: HA_CLUSTER }), fakeOpener(cluster.hosts())),
    );
    assert.equal(error, undefined, error?.message);
    assert.match(key, /^[0-9a-f]{64}$/);
    assert.ok(
      cluster.master.commands.includes(
        "'kubeadm' 'init' '--config' '/etc/kubernetes/pulumi-kubeadm/init.yaml' '--upload-certs'",
      ),
    );
    assert.ok(!JSON.stringify(result!.outs).includes(key));
    for (const line of lines) assert.ok(!line.includes(key), `key leaked: ${line}`);
    assert.equal(result!.outs.apiEndpoint, "192.0.2.100:6443");
  });

  it("does not upload certificates for a single-node cluster without an endpoint", async () => {
    const cluster = new FakeCluster();
    const { error } = await captureConsole(() => createMasterNode(initInputs(), fakeOpener(cluster.hosts())));
    assert.equal(error, undefined, error?.message);
    assert.ok(!cluster.master.commands.some((c) => c.includes("--upload-certs")));
    const config = cluster.master.uploads.find((u) => u.path === INIT_CONFIG)!.content;
    assert.equal("certificateKey" in parse(config.split("---\n")[0]), false);
  });

  it("places kube-vip (super-admin credentials) before kubeadm init, then switches it to admin.conf", async () => {
    const cluster = new FakeCluster();
    const inputs = initInputs({ cluster: { ...HA_CLUSTER, kubeVip: KUBE_VIP_SETTINGS } });
    const { error } = await captureConsole(() => createMasterNode(inputs, fakeOpener(cluster.hosts())));
    assert.equal(error, undefined, error?.message);
    const placements = cluster.master.uploads.filter((u) => u.path === KUBE_VIP);
    assert.equal(placements.length, 2);
    assert.match(placements[0].content, /path: \/etc\/kubernetes\/super-admin\.conf/);
    assert.match(placements[1].content, /path: \/etc\/kubernetes\/admin\.conf/);
    const runs = cluster.master.runs.map((r) => r.command);
    const init = runs.findIndex((c) => c.startsWith("'kubeadm' 'init'"));
    assert.ok(runs.indexOf(`upload ${KUBE_VIP}`) < init && runs.lastIndexOf(`upload ${KUBE_VIP}`) > init);
  });

  it("refuses to adopt a node that joined a running cluster as a further control plane", async () => {
    const cluster = new FakeCluster().initialised();
    cluster.master.on(/'kubectl' .*'get' 'nodes' '-l'/, () => ({
      stdout: JSON.stringify({ items: [{ metadata: { name: "master01" } }, { metadata: { name: "master02" } }] }),
    }));
    const { error } = await captureConsole(() =>
      createMasterNode(initInputs({ cluster: HA_CLUSTER }), fakeOpener(cluster.hosts())),
    );
    assert.match(
      error!.message,
      /master01 is controlPlane\[0\].*already is one of several control-plane nodes.*master02/,
    );
    assert.match(error!.message, /Removing the first control-plane node is not supported.*Nothing was changed/);
    assert.equal(cluster.master.resetRuns(), 0);
    assert.ok(!cluster.master.commands.some((c) => c.startsWith("'kubeadm' 'init'")));
  });

  it("rewrites kube-vip's static Pod in place when its settings change, and removes it when it is turned off", async () => {
    const cluster = new FakeCluster().initialised();
    const olds = initOutputs({ cluster: { ...HA_CLUSTER, kubeVip: KUBE_VIP_SETTINGS } });
    const newImage = { ...KUBE_VIP_SETTINGS, image: "registry.example.com/kube-vip/kube-vip:v1.2.2" };
    await captureConsole(() =>
      updateMasterNode(
        olds,
        initInputs({ cluster: { ...HA_CLUSTER, kubeVip: newImage } }),
        fakeOpener(cluster.hosts()),
      ),
    );
    assert.match(cluster.master.files.get(KUBE_VIP)!, /image: registry\.example\.com\/kube-vip/);
    await captureConsole(() =>
      updateMasterNode(olds, initInputs({ cluster: HA_CLUSTER }), fakeOpener(cluster.hosts())),
    );
    assert.ok(cluster.master.commands.includes(`'rm' '-f' '--' '${KUBE_VIP}'`));
  });
});
