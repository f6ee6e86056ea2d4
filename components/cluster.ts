// The whole cluster as one component: what index.ts builds from a validated ClusterSpec. The steps chain
// through outputs, so the engine orders them: the CA's hash and the control plane's endpoint flow into
// every join, and each host's preparation gates what runs on it. With several control-plane nodes the first
// runs `kubeadm init` and the others join it; workers and kubeconfigs use controlPlaneEndpoint throughout.
import * as pulumi from "@pulumi/pulumi";
import type { ClusterSpec } from "../config/spec";
import type { EtcdSnapshot } from "../providers/node/etcd-snapshot";
import { Addons } from "./addons";
import { clusterCa } from "./cluster-ca";
import { HostPrep } from "./host-prep";
import { ControlPlaneJoin } from "./control-plane-join";
import { MasterNode } from "./master-node";
import { WorkerJoin } from "./worker-join";

export interface KubeadmClusterArgs {
  spec: ClusterSpec;
}

export class KubeadmCluster extends pulumi.ComponentResource {
  /** PEM of the cluster CA every node trusts. */
  readonly caCertPem: pulumi.Output<string>;
  /** "sha256:<hex>" that joins pin (--discovery-token-ca-cert-hash); known before any host runs kubeadm. */
  readonly caCertHash: pulumi.Output<string>;
  /** "host:port" the nodes and kubeconfigs use to reach the API server. */
  readonly apiEndpoint: pulumi.Output<string>;
  /** admin.conf of the cluster (secret). */
  readonly kubeconfig: pulumi.Output<string>;
  /** Names of the nodes that joined, once they have. */
  readonly workerNames: pulumi.Output<string[]>;
  /** Names of the control-plane nodes, the first once `kubeadm init` ran, the others once they joined. */
  readonly controlPlaneNames: pulumi.Output<string[]>;
  /** Per control-plane node, when the first of its certificates expires (renewed when due). */
  readonly certificateExpiry: pulumi.Output<Record<string, string>>;
  /** When the first of the cluster's CAs expires (kubeadm does not renew CAs). */
  readonly caExpiry: pulumi.Output<string>;
  /** Per control-plane node, the newest etcd snapshot taken there before a change (path, bytes, sha256, takenAt). */
  readonly etcdSnapshots: pulumi.Output<Record<string, EtcdSnapshot>>;
  /** Secret: the web UI's cluster-admin token, when the dashboard add-on is on. */
  readonly dashboardToken: pulumi.Output<string | undefined>;

  constructor(name: string, args: KubeadmClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super("pulumi-kubeadm:index:KubeadmCluster", name, {}, opts);
    const { spec } = args;

    const ca = clusterCa(name, spec, this);

    // Every host is prepared in parallel with the others.
    const prepared = new Map<string, HostPrep>();
    for (const node of [...spec.controlPlane, ...spec.workers]) {
      prepared.set(node.name, new HostPrep(`${name}-${node.name}-prep`, { spec, node }, { parent: this }));
    }
    const preparedHost = (node: string): pulumi.Resource => (prepared.get(node) as HostPrep).ready;

    const first = spec.controlPlane[0];
    const master = new MasterNode(
      `${name}-${first.name}`,
      {
        spec,
        node: first,
        ca: { certPem: ca.certPem, keyPem: ca.keyPem },
        dependsOn: [preparedHost(first.name)],
      },
      { parent: this },
    );

    // Further control-plane nodes join one after another: etcd adds one member at a time, and each join
    // re-uploads the shared certificates under its own key (two at once would overwrite each other's).
    let previousControlPlane: pulumi.Resource = master.init;
    let previousCertificates: pulumi.Resource = master.certificates;
    const controlPlaneJoins = spec.controlPlane.slice(1).map((node) => {
      const join = new ControlPlaneJoin(
        `${name}-${node.name}`,
        {
          spec,
          node,
          controlPlanes: spec.controlPlane.filter((other) => other.name !== node.name),
          apiEndpoint: master.apiEndpoint,
          caCertHash: master.caCertHash,
          dependsOn: [preparedHost(node.name), previousControlPlane],
          certificatesAfter: previousCertificates,
        },
        { parent: this },
      );
      previousCertificates = join.certificates;
      previousControlPlane = join.join;
      return join;
    });

    // Workers join in parallel; each mints its own token on the control plane when it joins.
    const joins = spec.workers.map(
      (worker) =>
        new WorkerJoin(
          `${name}-${worker.name}`,
          {
            spec,
            node: worker,
            controlPlane: first,
            // The master's outputs, not the CA's: they order every join after init and carry a re-created
            // control plane over to the workers.
            apiEndpoint: master.apiEndpoint,
            caCertHash: master.caCertHash,
            dependsOn: [preparedHost(worker.name), master.init],
          },
          { parent: this },
        ),
    );

    // The add-ons talk to the API with init's kubeconfig; the web UI and Rook wait for every node, since
    // their pods are scheduled on the workers.
    const addons = new Addons(
      `${name}-addons`,
      {
        spec,
        kubeconfig: master.kubeconfig,
        controlPlaneReady: [master.init, ...controlPlaneJoins.map((join) => join.join)],
        workersReady: joins.map((join) => join.join),
      },
      { parent: this },
    );

    this.caCertPem = ca.certPem;
    this.caCertHash = master.caCertHash;
    this.apiEndpoint = master.apiEndpoint;
    this.kubeconfig = master.kubeconfig;
    this.workerNames = pulumi.all(joins.map((join) => join.nodeName));
    this.dashboardToken = addons.dashboardToken;
    const controlPlaneCertificates = [
      { node: first.name, certificates: master.certificates, snapshot: master.init.etcdSnapshot },
      ...controlPlaneJoins.map((join, i) => ({
        node: spec.controlPlane[i + 1].name,
        certificates: join.certificates,
        snapshot: join.join.etcdSnapshot,
      })),
    ];
    this.certificateExpiry = pulumi
      .all(controlPlaneCertificates.map(({ certificates }) => certificates.certificatesExpire))
      .apply((expiries) => Object.fromEntries(expiries.map((expiry, i) => [controlPlaneCertificates[i].node, expiry])));
    this.caExpiry = master.certificates.authoritiesExpire;
    // The newer of what the node's update and its certificate renewal took.
    this.etcdSnapshots = pulumi
      .all(
        controlPlaneCertificates.map(({ node, snapshot, certificates }) =>
          pulumi.all([snapshot, certificates.etcdSnapshot]).apply(([updated, renewed]) => {
            const newest = [updated, renewed]
              .filter((s): s is EtcdSnapshot => s !== undefined)
              .sort((a, b) => b.takenAt.localeCompare(a.takenAt))[0];
            return newest === undefined ? [] : [[node, newest] as const];
          }),
        ),
      )
      .apply((entries) => Object.fromEntries(entries.flat()));
    this.controlPlaneNames = pulumi.all([
      master.init.apiEndpoint.apply(() => first.name),
      ...controlPlaneJoins.map((join) => join.nodeName),
    ]);
    this.registerOutputs({
      caCertPem: this.caCertPem,
      caCertHash: this.caCertHash,
      apiEndpoint: this.apiEndpoint,
      kubeconfig: this.kubeconfig,
      workerNames: this.workerNames,
      controlPlaneNames: this.controlPlaneNames,
      dashboardToken: this.dashboardToken,
      certificateExpiry: this.certificateExpiry,
      caExpiry: this.caExpiry,
      etcdSnapshots: this.etcdSnapshots,
    });
  }
}
