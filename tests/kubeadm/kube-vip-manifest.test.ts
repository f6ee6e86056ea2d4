// kube-vip's static Pod as the kubelet reads it: valid YAML under both schemas a Go YAML reader may apply,
// every env value a string (the kubelet rejects a Pod whose EnvVar.value is a bool or a number), and the
// settings kube-vip needs for control-plane ARP mode with leader election.
import { strict as assert } from "assert";
import { parseAllDocuments } from "yaml";
import {
  ADMIN_KUBECONFIG,
  renderKubeVipManifest,
  SUPER_ADMIN_KUBECONFIG,
  type KubeVipManifestOptions,
} from "../../kubeadm/kube-vip-manifest";
import type { ParsedDoc } from "./parsed-yaml";

const OPTIONS: KubeVipManifestOptions = {
  address: "192.0.2.100",
  interface: "ens192",
  image: "registry.example.com/mirror/kube-vip/kube-vip:v1.2.2",
  kubeconfig: ADMIN_KUBECONFIG,
};

interface EnvVar {
  name: string;
  value?: unknown;
  valueFrom?: { fieldRef: { fieldPath: string } };
}

/** Parses strictly (one document, no duplicate keys, no warnings) under YAML 1.1 and 1.2; both must agree. */
function parsePod(text: string): ParsedDoc {
  const readings = (["1.1", "1.2"] as const).map((version) => {
    const docs = parseAllDocuments(text, { version, uniqueKeys: true, strict: true });
    assert.ok(!Array.isArray(docs) || docs.length === 1, "one document");
    const [doc] = docs as ReturnType<typeof parseAllDocuments> & unknown[];
    assert.deepEqual(doc.errors, [], `YAML ${version} errors`);
    assert.deepEqual(doc.warnings, [], `YAML ${version} warnings`);
    return doc.toJS();
  });
  assert.deepEqual(readings[0], readings[1], "YAML 1.1 and 1.2 read the manifest the same way");
  return readings[0];
}

function env(pod: ParsedDoc): Map<string, EnvVar> {
  return new Map((pod.spec.containers[0].env as EnvVar[]).map((e) => [e.name, e]));
}

describe("kube-vip static Pod manifest", () => {
  const pod = parsePod(renderKubeVipManifest(OPTIONS));
  const vars = env(pod);

  it("is a kube-system Pod on the host network with one kube-vip container running `manager`", () => {
    assert.equal(pod.apiVersion, "v1");
    assert.equal(pod.kind, "Pod");
    assert.deepEqual(pod.metadata, { name: "kube-vip", namespace: "kube-system" });
    assert.equal(pod.spec.hostNetwork, true);
    assert.equal(pod.spec.containers.length, 1);
    const [container] = pod.spec.containers;
    assert.equal(container.name, "kube-vip");
    assert.deepEqual(container.args, ["manager"]);
    assert.equal(container.imagePullPolicy, "IfNotPresent");
    assert.deepEqual(container.securityContext.capabilities.add, ["NET_ADMIN", "NET_RAW"]);
  });

  it("uses the configured image", () => {
    assert.equal(pod.spec.containers[0].image, OPTIONS.image);
  });

  it("holds the virtual IP on the interface in ARP mode, for the control plane on port 6443", () => {
    assert.equal(vars.get("address")?.value, "192.0.2.100");
    assert.equal(vars.get("vip_interface")?.value, "ens192");
    assert.equal(vars.get("vip_arp")?.value, "true");
    assert.equal(vars.get("cp_enable")?.value, "true");
    assert.equal(vars.get("cp_namespace")?.value, "kube-system");
    assert.equal(vars.get("port")?.value, "6443");
    assert.equal(vars.get("vip_subnet")?.value, "32");
    assert.equal(vars.get("vip_cidr"), undefined, "kube-vip 1.x ignores vip_cidr");
  });

  it("elects one leader with a lease (kube-vip's generated timings) and names itself after its node", () => {
    assert.equal(vars.get("vip_leaderelection")?.value, "true");
    assert.equal(vars.get("vip_leasename")?.value, "plndr-cp-lock");
    assert.equal(vars.get("vip_leaseduration")?.value, "5");
    assert.equal(vars.get("vip_renewdeadline")?.value, "3");
    assert.equal(vars.get("vip_retryperiod")?.value, "1");
    assert.deepEqual(vars.get("vip_nodename")?.valueFrom, { fieldRef: { fieldPath: "spec.nodeName" } });
  });

  it("gives every env value as a string, never a YAML bool or number", () => {
    for (const variable of vars.values()) {
      if (variable.valueFrom === undefined) {
        assert.equal(typeof variable.value, "string", `${variable.name} is ${typeof variable.value}`);
      }
    }
    assert.equal(vars.get("prometheus_server")?.value, ":2112");
  });

  it("mounts admin.conf where kube-vip reads it, and the super-admin credentials only when asked (init)", () => {
    const [container] = pod.spec.containers;
    assert.deepEqual(container.volumeMounts, [{ mountPath: "/etc/kubernetes/admin.conf", name: "kubeconfig" }]);
    assert.deepEqual(pod.spec.volumes, [{ hostPath: { path: "/etc/kubernetes/admin.conf" }, name: "kubeconfig" }]);
    const duringInit = parsePod(renderKubeVipManifest({ ...OPTIONS, kubeconfig: SUPER_ADMIN_KUBECONFIG }));
    assert.deepEqual(duringInit.spec.containers[0].volumeMounts, container.volumeMounts);
    assert.deepEqual(duringInit.spec.volumes[0].hostPath, { path: "/etc/kubernetes/super-admin.conf" });
    assert.deepEqual(pod.spec.hostAliases, [{ hostnames: ["kubernetes"], ip: "127.0.0.1" }]);
    // kube-vip 1.x talks to the kubeconfig's server (the virtual IP, which needs a leader first) unless told this
    assert.equal(vars.get("kubernetes_addr")?.value, "kubernetes:6443");
  });

  it("uses a /128 for an IPv6 virtual IP", () => {
    const v6 = env(parsePod(renderKubeVipManifest({ ...OPTIONS, address: "2001:db8::100" })));
    assert.equal(v6.get("address")?.value, "2001:db8::100");
    assert.equal(v6.get("vip_subnet")?.value, "128");
  });

  it("refuses an address that is not an IP and an empty interface", () => {
    assert.throws(() => renderKubeVipManifest({ ...OPTIONS, address: "k8s.example.com" }), /must be an IP address/);
    assert.throws(() => renderKubeVipManifest({ ...OPTIONS, interface: " " }), /interface/);
  });
});
