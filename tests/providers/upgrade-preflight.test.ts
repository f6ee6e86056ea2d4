// The upgrade preflight against what kubectl 1.35 prints (trimmed to the fields a reader would look at, in
// kubectl's order and 4-space indentation), and the observation run on a fake control-plane host.
import { strict as assert } from "assert";
import { execFileSync } from "child_process";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import {
  imageTag,
  observeCluster,
  observeCommand,
  parseClusterObservation,
  upgradeProblems,
  upgradeStage,
  type ClusterObservation,
} from "../../providers/node/upgrade-preflight";
import { fakeOpener, FakeHost } from "./kubeadm-fakes";
import { connection } from "./kubeadm-fixtures";

// What `kubectl get nodes -o json` prints for a kubeadm 1.35.4 cluster: one control plane, one worker.
const NODES_JSON = `{
    "apiVersion": "v1",
    "items": [
        {
            "apiVersion": "v1",
            "kind": "Node",
            "metadata": {
                "annotations": {
                    "flannel.alpha.coreos.com/backend-type": "vxlan",
                    "node.alpha.kubernetes.io/ttl": "0",
                    "volumes.kubernetes.io/controller-managed-attach-detach": "true"
                },
                "creationTimestamp": "2026-12-07T09:12:41Z",
                "labels": {
                    "beta.kubernetes.io/arch": "amd64",
                    "beta.kubernetes.io/os": "linux",
                    "kubernetes.io/arch": "amd64",
                    "kubernetes.io/hostname": "master01",
                    "kubernetes.io/os": "linux",
                    "node-role.kubernetes.io/control-plane": "",
                    "node.kubernetes.io/exclude-from-external-load-balancers": ""
                },
                "name": "master01",
                "resourceVersion": "1873",
                "uid": "6f1c3f0e-4a47-4b8e-9a55-0b1f0f4d7a11"
            },
            "spec": {
                "podCIDR": "10.244.0.0/24",
                "podCIDRs": [
                    "10.244.0.0/24"
                ],
                "taints": [
                    {
                        "effect": "NoSchedule",
                        "key": "node-role.kubernetes.io/control-plane"
                    }
                ]
            },
            "status": {
                "addresses": [
                    {
                        "address": "10.0.0.3",
                        "type": "InternalIP"
                    },
                    {
                        "address": "master01",
                        "type": "Hostname"
                    }
                ],
                "conditions": [
                    {
                        "lastHeartbeatTime": "2026-12-07T10:02:11Z",
                        "lastTransitionTime": "2026-12-07T09:12:41Z",
                        "message": "kubelet has sufficient memory available",
                        "reason": "KubeletHasSufficientMemory",
                        "status": "False",
                        "type": "MemoryPressure"
                    },
                    {
                        "lastHeartbeatTime": "2026-12-07T10:02:11Z",
                        "lastTransitionTime": "2026-12-07T09:13:20Z",
                        "message": "kubelet is posting ready status",
                        "reason": "KubeletReady",
                        "status": "True",
                        "type": "Ready"
                    }
                ],
                "nodeInfo": {
                    "architecture": "amd64",
                    "bootID": "3e0c5b1a-8d3c-4a43-9d0e-2b7c8f6e5d41",
                    "containerRuntimeVersion": "containerd://2.1.4",
                    "kernelVersion": "6.8.0-51-generic",
                    "kubeletVersion": "v1.35.4",
                    "machineID": "2f4a9c1e7b3d4e8f9a0b1c2d3e4f5a6b",
                    "operatingSystem": "linux",
                    "osImage": "Ubuntu 24.04.3 LTS",
                    "systemUUID": "2f4a9c1e-7b3d-4e8f-9a0b-1c2d3e4f5a6b"
                }
            }
        },
        {
            "apiVersion": "v1",
            "kind": "Node",
            "metadata": {
                "creationTimestamp": "2026-12-07T09:14:02Z",
                "labels": {
                    "kubernetes.io/arch": "amd64",
                    "kubernetes.io/hostname": "worker01",
                    "kubernetes.io/os": "linux"
                },
                "name": "worker01",
                "resourceVersion": "1790",
                "uid": "0c9e2a57-1f4b-4d6e-8a3c-5b7d9e1f3a20"
            },
            "spec": {
                "podCIDR": "10.244.1.0/24",
                "podCIDRs": [
                    "10.244.1.0/24"
                ],
                "taints": [
                    {
                        "effect": "NoSchedule",
                        "key": "node.kubernetes.io/unschedulable",
                        "timeAdded": "2026-12-07T10:01:54Z"
                    }
                ],
                "unschedulable": true
            },
            "status": {
                "conditions": [
                    {
                        "lastHeartbeatTime": "2026-12-07T10:01:59Z",
                        "lastTransitionTime": "2026-12-07T09:14:40Z",
                        "message": "kubelet is posting ready status",
                        "reason": "KubeletReady",
                        "status": "True",
                        "type": "Ready"
                    }
                ],
                "nodeInfo": {
                    "containerRuntimeVersion": "containerd://2.1.4",
                    "kubeletVersion": "v1.35.4",
                    "operatingSystem": "linux"
                }
            }
        }
    ],
    "kind": "List",
    "metadata": {
        "resourceVersion": ""
    }
}
`;

// What `kubectl -n kube-system get pods -l tier=control-plane -o json` prints there: the mirror Pods of the
// static Pods kubeadm wrote (two shown in full, the rest trimmed the same way).
const PODS_JSON = `{
    "apiVersion": "v1",
    "items": [
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {
                "annotations": {
                    "kubeadm.kubernetes.io/kube-apiserver.advertise-address.endpoint": "10.0.0.3:6443",
                    "kubernetes.io/config.hash": "8c2f1c2b7d4f0e5a9b3c6d1e2f4a5b6c",
                    "kubernetes.io/config.mirror": "8c2f1c2b7d4f0e5a9b3c6d1e2f4a5b6c",
                    "kubernetes.io/config.seen": "2026-12-07T09:12:35.113521402Z",
                    "kubernetes.io/config.source": "file"
                },
                "labels": {
                    "component": "kube-apiserver",
                    "tier": "control-plane"
                },
                "name": "kube-apiserver-master01",
                "namespace": "kube-system",
                "ownerReferences": [
                    {
                        "apiVersion": "v1",
                        "controller": true,
                        "kind": "Node",
                        "name": "master01",
                        "uid": "6f1c3f0e-4a47-4b8e-9a55-0b1f0f4d7a11"
                    }
                ]
            },
            "spec": {
                "containers": [
                    {
                        "command": [
                            "kube-apiserver",
                            "--advertise-address=10.0.0.3",
                            "--secure-port=6443"
                        ],
                        "image": "registry.k8s.io/kube-apiserver:v1.35.4",
                        "imagePullPolicy": "IfNotPresent",
                        "name": "kube-apiserver"
                    }
                ],
                "hostNetwork": true,
                "nodeName": "master01",
                "priority": 2000001000,
                "priorityClassName": "system-node-critical"
            },
            "status": {
                "containerStatuses": [
                    {
                        "image": "registry.k8s.io/kube-apiserver:v1.35.4",
                        "imageID": "registry.k8s.io/kube-apiserver@sha256:4b3e1c5f0d2a7e9c8b6a5d4c3b2a1f0e9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b4a",
                        "name": "kube-apiserver",
                        "ready": true,
                        "restartCount": 0,
                        "started": true
                    }
                ],
                "phase": "Running"
            }
        },
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {
                "labels": {
                    "component": "etcd",
                    "tier": "control-plane"
                },
                "name": "etcd-master01",
                "namespace": "kube-system"
            },
            "spec": {
                "containers": [
                    {
                        "command": [
                            "etcd",
                            "--advertise-client-urls=https://10.0.0.3:2379"
                        ],
                        "image": "registry.k8s.io/etcd:3.6.6-0",
                        "name": "etcd"
                    }
                ],
                "nodeName": "master01"
            },
            "status": {
                "phase": "Running"
            }
        },
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {
                "labels": {
                    "component": "kube-controller-manager",
                    "tier": "control-plane"
                },
                "name": "kube-controller-manager-master01",
                "namespace": "kube-system"
            },
            "spec": {
                "containers": [
                    {
                        "image": "registry.k8s.io/kube-controller-manager:v1.35.4",
                        "name": "kube-controller-manager"
                    }
                ],
                "nodeName": "master01"
            }
        },
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {
                "labels": {
                    "component": "kube-scheduler",
                    "tier": "control-plane"
                },
                "name": "kube-scheduler-master01",
                "namespace": "kube-system"
            },
            "spec": {
                "containers": [
                    {
                        "image": "registry.k8s.io/kube-scheduler:v1.35.4",
                        "name": "kube-scheduler"
                    }
                ],
                "nodeName": "master01"
            }
        }
    ],
    "kind": "List",
    "metadata": {
        "resourceVersion": ""
    }
}
`;

// `kubectl version -o json` (client and server 1.35.4): kubectl prints the same fields for both.
const RELEASE_1_35_4 = {
  major: "1",
  minor: "35",
  emulationMajor: "1",
  emulationMinor: "35",
  minCompatibilityMajor: "1",
  minCompatibilityMinor: "34",
  gitVersion: "v1.35.4",
  gitCommit: "b9a1f4c3e2d7a6b5c4d3e2f1a0b9c8d7e6f5a4b3",
  gitTreeState: "clean",
  buildDate: "2026-11-12T10:21:43Z",
  goVersion: "go1.25.4",
  compiler: "gc",
  platform: "linux/amd64",
};
const VERSION_JSON = JSON.stringify(
  { clientVersion: RELEASE_1_35_4, kustomizeVersion: "v5.7.1", serverVersion: RELEASE_1_35_4 },
  null,
  2,
);

// The rule tests build their clusters with these, in the same shape as the verbatim output above.
interface NodeSpec {
  name: string;
  kubelet?: string;
  /** The Ready condition's status; undefined leaves the condition out, as a Node that never reported has. */
  ready?: "True" | "False" | "Unknown" | undefined;
  controlPlane?: boolean;
  unschedulable?: boolean;
  /** Control planes: the tag each of the API server, controller manager and scheduler runs. */
  components?: { apiserver: string; controllerManager: string; scheduler: string };
}

function nodeItem(spec: NodeSpec): object {
  const labels: Record<string, string> = { "kubernetes.io/hostname": spec.name, "kubernetes.io/os": "linux" };
  if (spec.controlPlane) labels["node-role.kubernetes.io/control-plane"] = "";
  const ready = "ready" in spec ? spec.ready : "True";
  const conditions =
    ready === undefined
      ? []
      : [
          ready === "Unknown"
            ? {
                message: "Kubelet stopped posting node status.",
                reason: "NodeStatusUnknown",
                status: "Unknown",
                type: "Ready",
              }
            : { message: "kubelet is posting ready status", reason: "KubeletReady", status: ready, type: "Ready" },
        ];
  return {
    apiVersion: "v1",
    kind: "Node",
    metadata: { labels, name: spec.name },
    spec: spec.unschedulable ? { unschedulable: true } : {},
    status: { conditions, nodeInfo: { kubeletVersion: spec.kubelet ?? "v1.35.4", operatingSystem: "linux" } },
  };
}

function podItem(component: string, node: string, image: string): object {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { labels: { component, tier: "control-plane" }, name: `${component}-${node}`, namespace: "kube-system" },
    spec: { containers: [{ image, name: component }], nodeName: node },
    status: { phase: "Running" },
  };
}

const list = (items: object[]) =>
  JSON.stringify({ apiVersion: "v1", items, kind: "List", metadata: { resourceVersion: "" } }, null, 4);

function cluster(nodes: NodeSpec[], apiServer = "v1.35.4"): ClusterObservation {
  const pods = nodes.flatMap((n) => {
    if (!n.controlPlane) return [];
    const c = n.components ?? { apiserver: "v1.35.4", controllerManager: "v1.35.4", scheduler: "v1.35.4" };
    return [
      podItem("etcd", n.name, "registry.k8s.io/etcd:3.6.6-0"),
      podItem("kube-apiserver", n.name, `registry.k8s.io/kube-apiserver:${c.apiserver}`),
      podItem("kube-controller-manager", n.name, `registry.k8s.io/kube-controller-manager:${c.controllerManager}`),
      podItem("kube-scheduler", n.name, `registry.k8s.io/kube-scheduler:${c.scheduler}`),
    ];
  });
  const version = JSON.parse(VERSION_JSON) as { serverVersion: { gitVersion: string } };
  version.serverVersion.gitVersion = apiServer;
  return parseClusterObservation(list(nodes.map(nodeItem)), list(pods), JSON.stringify(version));
}

const at = (tag: string) => ({ apiserver: tag, controllerManager: tag, scheduler: tag });
const HA = (tag = "v1.35.4"): NodeSpec[] => [
  { name: "cp1", controlPlane: true, components: at(tag), kubelet: tag },
  { name: "cp2", controlPlane: true, components: at(tag), kubelet: tag },
  { name: "cp3", controlPlane: true, components: at(tag), kubelet: tag },
  { name: "worker01", kubelet: tag },
  { name: "worker02", kubelet: tag },
];
const withNode = (nodes: NodeSpec[], name: string, change: Partial<NodeSpec>) =>
  nodes.map((n) => (n.name === name ? { ...n, ...change } : n));

describe("upgrade preflight: reading the cluster", () => {
  it("reads kubectl's nodes, control-plane Pods and version as kubectl 1.35 prints them", () => {
    assert.deepEqual(parseClusterObservation(NODES_JSON, PODS_JSON, VERSION_JSON), {
      apiServerVersion: "v1.35.4",
      nodes: [
        {
          name: "master01",
          controlPlane: true,
          ready: true,
          kubeletVersion: "v1.35.4",
          unschedulable: false,
          staticPods: [
            { component: "kube-apiserver", image: "registry.k8s.io/kube-apiserver:v1.35.4", tag: "v1.35.4" },
            { component: "etcd", image: "registry.k8s.io/etcd:3.6.6-0", tag: "3.6.6-0" },
            {
              component: "kube-controller-manager",
              image: "registry.k8s.io/kube-controller-manager:v1.35.4",
              tag: "v1.35.4",
            },
            { component: "kube-scheduler", image: "registry.k8s.io/kube-scheduler:v1.35.4", tag: "v1.35.4" },
          ],
        },
        {
          name: "worker01",
          controlPlane: false,
          ready: true,
          kubeletVersion: "v1.35.4",
          unschedulable: true,
          staticPods: [],
        },
      ],
    });
  });

  it("reads what is missing as unknown instead of failing: no status, no nodeName, no serverVersion", () => {
    const nodes = JSON.stringify({ items: [{ metadata: { name: "bare" } }, { spec: {} }] });
    // A mirror Pod not bound yet has no nodeName; its name still says whose it is. An API server Pod also marks
    // its node as a control plane when an admin removed the role label.
    const pods = JSON.stringify({
      items: [
        { metadata: { name: "kube-apiserver-bare", labels: { component: "kube-apiserver" } }, spec: {} },
        { metadata: { name: "no-component" }, spec: { nodeName: "bare" } },
      ],
    });
    const obs = parseClusterObservation(nodes, pods, JSON.stringify({ clientVersion: { gitVersion: "v1.35.4" } }));
    assert.deepEqual(obs, {
      apiServerVersion: "",
      nodes: [
        {
          name: "bare",
          controlPlane: true,
          ready: false,
          kubeletVersion: "",
          unschedulable: false,
          staticPods: [{ component: "kube-apiserver", image: "", tag: "" }],
        },
      ],
    });
    assert.deepEqual(parseClusterObservation("{}", "{}", "{}"), { apiServerVersion: "", nodes: [] });
  });

  it("names the command whose output was no JSON", () => {
    assert.throws(
      () => parseClusterObservation(NODES_JSON, "error: You must be logged in to the server (Unauthorized)", "{}"),
      /kubectl -n kube-system get pods -l tier=control-plane -o json printed no JSON .*Unauthorized/,
    );
  });

  it("takes an image's tag, not a registry's port or a digest", () => {
    assert.equal(imageTag("registry.k8s.io/kube-apiserver:v1.35.4"), "v1.35.4");
    assert.equal(imageTag("mirror.example:5000/google_containers/kube-apiserver:v1.35.4"), "v1.35.4");
    assert.equal(imageTag(`registry.k8s.io/kube-apiserver:v1.36.3@sha256:${"ab".repeat(32)}`), "v1.36.3");
    assert.equal(imageTag(`mirror.example:5000/kube-apiserver@sha256:${"ab".repeat(32)}`), "");
    assert.equal(imageTag("kube-apiserver"), "");
  });
});

describe("upgrade preflight: the rules", () => {
  it("finds nothing wrong with a healthy cluster going to the next minor, or to a later patch", () => {
    assert.deepEqual(upgradeProblems(cluster(HA()), "1.35.4", "1.36.3"), []);
    assert.deepEqual(upgradeProblems(cluster(HA()), "v1.35.4", "v1.35.6"), []);
    assert.deepEqual(
      upgradeProblems(parseClusterObservation(NODES_JSON, PODS_JSON, VERSION_JSON), "1.35.4", "1.36.3"),
      [],
    );
  });

  it("refuses a NotReady node, whether its kubelet says so, went silent or never reported", () => {
    for (const ready of ["False", "Unknown", undefined] as const) {
      const problems = upgradeProblems(cluster(withNode(HA(), "worker02", { ready })), "1.35.4", "1.36.3");
      assert.deepEqual(
        problems,
        [
          "node worker02 is NotReady: the upgrade drains and restarts nodes one by one and would leave the cluster " +
            "short; fix the node (kubectl describe node worker02) or remove it from the stack, then run `pulumi up` " +
            "again",
        ],
        String(ready),
      );
    }
  });

  it("refuses control planes on different versions when one of them is neither the cluster's nor the target", () => {
    const nodes = withNode(HA(), "cp2", { components: at("v1.34.9") });
    assert.deepEqual(upgradeProblems(cluster(nodes), "1.35.4", "1.36.3"), [
      "control-plane node cp2 runs kube-apiserver v1.34.9, kube-controller-manager v1.34.9, kube-scheduler v1.34.9, " +
        "neither the cluster's 1.35.4 nor the target 1.36.3 (control planes: cp1 1.35.4, cp2 1.34.9, cp3 1.35.4): " +
        "kubeadm upgrades control planes that run one version, or that one and the target after an interrupted " +
        "upgrade; bring cp2 to 1.35.4 by hand (kubeadm upgrade node with that kubeadm on it) or remove it from the " +
        "stack, then run `pulumi up` again",
    ]);
    // Only the component that is off is named.
    const oneComponent = withNode(HA(), "cp3", {
      components: { apiserver: "v1.35.4", controllerManager: "v1.35.4", scheduler: "v1.35.2" },
    });
    const [problem, ...rest] = upgradeProblems(cluster(oneComponent), "1.35.4", "1.36.3");
    assert.deepEqual(rest, []);
    assert.match(problem, /^control-plane node cp3 runs kube-scheduler v1\.35\.2, neither/);
    assert.match(problem, /\(control planes: cp1 1\.35\.4, cp2 1\.35\.4, cp3 1\.35\.4\/1\.35\.2\)/);
  });

  it("resumes an interrupted upgrade: control planes on the old version and the target are no problem", () => {
    // cp1 finished kubeadm upgrade apply and its kubelet; cp2 was cut off after the API server's manifest; cp3 and
    // the workers are untouched, but worker01 was drained (cordoned) for its kubelet and the run stopped there.
    const nodes: NodeSpec[] = [
      { name: "cp1", controlPlane: true, components: at("v1.36.3"), kubelet: "v1.36.3" },
      {
        name: "cp2",
        controlPlane: true,
        components: { apiserver: "v1.36.3", controllerManager: "v1.35.4", scheduler: "v1.35.4" },
        kubelet: "v1.35.4",
      },
      { name: "cp3", controlPlane: true, components: at("v1.35.4"), kubelet: "v1.35.4" },
      { name: "worker01", kubelet: "v1.35.4", unschedulable: true },
      { name: "worker02", kubelet: "v1.35.4" },
    ];
    // Whichever API server the endpoint reached: the upgraded one, or one still on the old release.
    for (const apiServer of ["v1.36.3", "v1.35.4"]) {
      assert.deepEqual(upgradeProblems(cluster(nodes, apiServer), "1.35.4", "1.36.3"), [], apiServer);
    }
    const obs = cluster(nodes, "v1.36.3");
    assert.deepEqual(upgradeStage(obs, "cp1", "v1.36.3"), {
      done: ["control-plane", "kubelet"],
      remaining: [],
      unschedulable: false,
    });
    assert.deepEqual(upgradeStage(obs, "cp2", "1.36.3"), {
      done: [],
      remaining: ["control-plane", "kubelet"],
      unschedulable: false,
    });
    assert.deepEqual(upgradeStage(obs, "worker01", "1.36.3"), {
      done: [],
      remaining: ["kubelet"],
      unschedulable: true,
    });
    assert.equal(upgradeStage(obs, "worker09", "1.36.3"), undefined);
  });

  it("tells a control plane whose static Pods are done from one whose kubelet is done too", () => {
    const nodes = withNode(HA(), "cp1", { components: at("v1.36.3") });
    assert.deepEqual(upgradeStage(cluster(nodes), "cp1", "1.36.3"), {
      done: ["control-plane"],
      remaining: ["kubelet"],
      unschedulable: false,
    });
    const upgradedWorker = withNode(HA(), "worker02", { kubelet: "v1.36.3" });
    assert.deepEqual(upgradeStage(cluster(upgradedWorker), "worker02", "1.36.3")?.done, ["kubelet"]);
    // A control plane whose scheduler Pod the API server does not show is not done: kubeadm upgrade node runs again.
    const obs = cluster(nodes);
    obs.nodes[0].staticPods = obs.nodes[0].staticPods.filter((p) => p.component !== "kube-scheduler");
    assert.deepEqual(upgradeStage(obs, "cp1", "1.36.3")?.remaining, ["control-plane", "kubelet"]);
  });

  it("checks the path from the API server's own version, not only from the stored one", () => {
    // The state says 1.35.4, but the cluster runs 1.34.2 (restored from an old snapshot, say): 1.36 skips 1.35.
    assert.deepEqual(upgradeProblems(cluster(HA("v1.34.2"), "v1.34.2"), "1.35.4", "1.36.3"), [
      "kubernetesVersion 1.36.3 skips 1.35 (the cluster runs 1.34.2): kubeadm upgrades one minor at a time; set " +
        "kubernetesVersion to a 1.35.x release first, run `pulumi up`, then 1.36.3 (the stack's state says 1.35.4; " +
        "the API server's own version is what kubeadm upgrades from)",
    ]);
    // The state says 1.34.2, but the cluster was upgraded to 1.35.4 by hand: 1.36.3 is the next minor from there.
    assert.deepEqual(upgradeProblems(cluster(HA()), "1.34.2", "1.36.3"), []);
    // An API server newer than the target is a downgrade, however the state got there.
    assert.match(
      upgradeProblems(cluster(HA("v1.36.3"), "v1.36.3"), "1.35.4", "1.35.6")[0],
      /^kubernetesVersion 1\.35\.6 is older than the cluster's 1\.36\.3: kubeadm cannot downgrade/,
    );
  });

  it("refuses to start when the API server's version cannot be read", () => {
    const problems = upgradeProblems(cluster(HA(), ""), "1.35.4", "1.36.3");
    assert.equal(problems.length, 1);
    assert.match(problems[0], /^the API server reports no release version \(''.*kubectl get --raw=\/readyz/);
  });

  it("refuses a kubelet newer than the target", () => {
    assert.deepEqual(upgradeProblems(cluster(withNode(HA(), "worker01", { kubelet: "v1.37.0" })), "1.35.4", "1.36.3"), [
      "node worker01 runs kubelet 1.37.0, newer than kubernetesVersion 1.36.3: a kubelet must not be newer than the " +
        "API server (Kubernetes version-skew policy) and kubeadm does not downgrade one; set kubernetesVersion to " +
        "1.37.0 or later (one minor at a time), or install kubelet 1.36.3 on worker01 by hand, then run `pulumi up` " +
        "again",
    ]);
    // A later patch of the target's minor would have to be downgraded all the same.
    const patch = upgradeProblems(cluster(withNode(HA(), "worker01", { kubelet: "v1.35.6" })), "1.35.4", "1.35.5");
    assert.equal(patch.length, 1);
    assert.match(patch[0], /^node worker01 runs kubelet 1\.35\.6, newer than kubernetesVersion 1\.35\.5/);
  });

  it("refuses a kubelet more than three minors older than the target, and allows one exactly three older", () => {
    const threeOlder = withNode(HA(), "worker02", { kubelet: "v1.33.7" });
    assert.deepEqual(upgradeProblems(cluster(threeOlder), "1.35.4", "1.36.3"), []);
    const fourOlder = withNode(HA(), "worker02", { kubelet: "v1.32.11" });
    assert.deepEqual(upgradeProblems(cluster(fourOlder), "1.35.4", "1.36.3"), [
      "node worker02 runs kubelet 1.32.11, more than 3 minors older than kubernetesVersion 1.36.3: a kubelet may be " +
        "at most 3 minors older than the API server (Kubernetes version-skew policy since 1.28), and the upgrade " +
        "reaches the kubelets only after the control plane; upgrade worker02's kubelet to 1.33 or later first, or " +
        "remove the node from the stack, then run `pulumi up` again",
    ]);
  });

  it("refuses a node whose kubelet version is unknown", () => {
    const problems = upgradeProblems(cluster(withNode(HA(), "worker01", { kubelet: "" })), "1.35.4", "1.36.3");
    assert.equal(problems.length, 1);
    assert.match(problems[0], /^node worker01 reports no kubelet release \(''.*kubectl describe node worker01/);
  });

  it("reports every problem at once: path, control planes, and each node's", () => {
    let nodes = withNode(HA("v1.34.2"), "cp3", { components: at("v1.33.5"), kubelet: "v1.33.5" });
    nodes = withNode(nodes, "worker01", { ready: "Unknown", kubelet: "v1.32.0" });
    nodes = withNode(nodes, "worker02", { kubelet: "v1.37.1" });
    const problems = upgradeProblems(cluster(nodes, "v1.34.2"), "1.34.2", "1.36.3");
    assert.deepEqual(
      problems.map((p) => p.split(":")[0]),
      [
        "kubernetesVersion 1.36.3 skips 1.35 (the cluster runs 1.34.2)",
        "control-plane node cp3 runs kube-apiserver v1.33.5, kube-controller-manager v1.33.5, kube-scheduler v1.33.5, neither the cluster's 1.34.2 nor the target 1.36.3 (control planes",
        "node worker01 is NotReady",
        "node worker01 runs kubelet 1.32.0, more than 3 minors older than kubernetesVersion 1.36.3",
        "node worker02 runs kubelet 1.37.1, newer than kubernetesVersion 1.36.3",
      ],
      problems.join("\n"),
    );
  });

  it("refuses a target that is not a release before reading anything else", () => {
    assert.deepEqual(upgradeProblems(cluster(HA()), "1.35.4", "1.36"), [
      "kubernetesVersion '1.36' is not an exact release (MAJOR.MINOR.PATCH): kubeadm upgrades to one release; " +
        "write one such as v1.35.4",
    ]);
  });
});

describe("upgrade preflight: observing the cluster over SSH", () => {
  it("runs the three kubectl reads with the admin kubeconfig on the control plane and parses them", async () => {
    const host = new FakeHost("master01", "10.0.0.3")
      .on(/'get' 'nodes' '-o' 'json'/, { stdout: NODES_JSON })
      .on(/'get' 'pods' '-l' 'tier=control-plane'/, { stdout: PODS_JSON })
      .on(/'version' '-o' 'json'/, { stdout: VERSION_JSON, stderr: "" });
    const obs = await fakeOpener([host])(connection("10.0.0.3"), (session) => observeCluster(session));
    assert.deepEqual(obs, parseClusterObservation(NODES_JSON, PODS_JSON, VERSION_JSON));
    assert.equal(host.runs.length, 3);
    for (const run of host.runs) {
      assert.match(run.command, /'kubectl' '--kubeconfig' '\/etc\/kubernetes\/admin\.conf'/);
      assert.match(run.command, /'--request-timeout=10s'/);
      assert.equal(run.opts.streamOutput, false);
      assert.equal(run.opts.allowFailure, true);
    }
    assert.deepEqual(
      host.runs.map((r) => r.opts.summary),
      [
        "kubectl get nodes -o json",
        "kubectl -n kube-system get pods -l tier=control-plane -o json",
        "kubectl version -o json",
      ],
    );
  });

  it("fails before anything changes when the API server does not answer, with kubectl's reason", async () => {
    const host = new FakeHost("master01", "10.0.0.3").on(/kubectl/, {
      code: 1,
      stderr: "The connection to the server 10.0.0.3:6443 was refused - did you specify the right host or port?\n",
    });
    await assert.rejects(
      fakeOpener([host])(connection("10.0.0.3"), (session) => observeCluster(session)),
      (error: Error) => {
        assert.match(
          error.message,
          /^cannot read the cluster before the upgrade: kubectl get nodes -o json on .*10\.0\.0\.3.* failed \(The connection to the server 10\.0\.0\.3:6443 was refused/,
        );
        assert.match(error.message, /kubectl get --raw=\/readyz.*Nothing was changed\.$/);
        return true;
      },
    );
    assert.equal(host.runs.length, 1, "stops at the first read that fails");
  });

  it("keeps only the output of the attempt that succeeded when a read is retried", function () {
    this.timeout(20000);
    // A kubectl that fails once the way `kubectl version` does (the client's half on stdout, the error on stderr),
    // then answers: run through the real shell, the retry loop must hand over one JSON document.
    const dir = mkdtempSync(join(tmpdir(), "upgrade-preflight-"));
    try {
      const kubectl = join(dir, "kubectl");
      writeFileSync(
        kubectl,
        [
          "#!/bin/sh",
          `if [ ! -e ${dir}/failed ]; then`,
          `  touch ${dir}/failed`,
          `  echo '{"clientVersion": {"gitVersion": "v1.35.4"}}'`,
          "  echo 'The connection to the server 10.0.0.3:6443 was refused' >&2",
          "  exit 1",
          "fi",
          `echo '{"serverVersion": {"gitVersion": "v1.35.4"}}'`,
        ].join("\n"),
      );
      chmodSync(kubectl, 0o755);
      const stdout = execFileSync("sh", ["-c", observeCommand(["version", "-o", "json"])], {
        env: { ...process.env, PATH: `${dir}:${process.env.PATH}` },
        encoding: "utf8",
        stdio: ["ignore", "pipe", "ignore"],
      });
      assert.deepEqual(JSON.parse(stdout), { serverVersion: { gitVersion: "v1.35.4" } });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
