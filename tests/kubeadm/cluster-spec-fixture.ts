// A complete ClusterSpec for rendering tests, with deliberately unsorted extra args and values that YAML 1.1
// would misread if left unquoted. Tests override fields per case.
import type { ClusterSpec, NodeSpec } from "../../config/spec";

function connection(host: string): NodeSpec["connection"] {
  return {
    host,
    port: 22,
    user: "root",
    sudo: false,
    insecureIgnoreHostKey: true,
    connectTimeoutSeconds: 10,
    commandTimeoutSeconds: 600,
    dialErrorLimit: 3,
  };
}

export function controlPlaneNode(name = "master01", address = "10.0.0.3"): NodeSpec {
  return { name, role: "control-plane", advertiseAddress: address, labels: {}, connection: connection(address) };
}

export function workerNode(name = "worker01", address = "10.0.0.4"): NodeSpec {
  return { name, role: "worker", advertiseAddress: address, labels: { tier: "app" }, connection: connection(address) };
}

export function clusterSpec(kubernetesVersion: string, overrides: Partial<ClusterSpec> = {}): ClusterSpec {
  const cp = controlPlaneNode();
  return {
    kubernetesVersion,
    controlPlane: [cp],
    workers: [workerNode()],
    controlPlaneEndpoint: "10.0.0.3:6443",
    controlPlaneEndpointConfigured: false,
    podSubnet: "10.244.0.0/16",
    serviceSubnet: "10.96.0.0/12",
    dnsDomain: "cluster.example",
    imageRepository: "registry.example.org/k8s",
    packages: {
      apt: { kubernetesRepository: "https://pkgs.example/deb", kubernetesKeyUrl: "https://pkgs.example/key" },
      yum: { kubernetesRepository: "https://pkgs.example/rpm", kubernetesKeyUrl: "https://pkgs.example/key" },
    },
    containerd: {
      registryMirrors: {},
      sandboxImage: "registry.example.org/k8s/pause:3.10.1",
      restrictOomScoreAdj: false,
    },
    apiServer: {
      extraArgs: {
        "runtime-config": "api/all=true",
        "enable-admission-plugins": "NodeRestriction",
        "allow-privileged": "true",
      },
      certSANs: ["k8s.example.org", "192.0.2.10"],
    },
    controllerManager: { extraArgs: { "horizontal-pod-autoscaler-sync-period": "10s", "bind-address": "0.0.0.0" } },
    scheduler: { extraArgs: { profiling: "false" } },
    kubelet: { extraArgs: { v: "2", "max-pods": "200" }, allowCgroupV1: false },
    kubeProxy: {},
    hostPrep: { selinux: "permissive", firewalld: "openPorts" },
    schedulableControlPlane: false,
    clusterCa: { keyType: "rsa", rsaBits: 2048, validityDays: 3650 },
    joinTokenTtl: "24h",
    drain: { force: false, timeoutSeconds: 300 },
    certificates: { renewBeforeDays: 30 },
    etcdSnapshots: { beforeChanges: true, keep: 3 },
    upgrade: { workersAtOnce: 1 },
    addons: {
      waitForRollout: true,
      flannel: { enabled: true, backend: "vxlan" },
      dashboard: { enabled: false, ui: "headlamp" },
      rookCeph: {
        enabled: false,
        devices: [],
        useAllDevices: false,
        dataDirHostPath: "/var/lib/rook",
        defaultStorageClass: true,
      },
    },
    ...overrides,
  };
}
