import { strict as assert } from "assert";
import * as pulumi from "@pulumi/pulumi";
import { Dashboard, DASHBOARD_NAMESPACE } from "../../components/addons/dashboard";
import { Headlamp, HEADLAMP_NAMESPACE } from "../../components/addons/headlamp";
import { kubernetesProvider } from "../../components/addons/kubernetes-provider";
import { loadManifest } from "../../components/addons/manifest";
import {
  findObject,
  imagesOfObject,
  installMocks,
  outputValue,
  kubernetesObjects,
  stepResource,
  UNKNOWN_ID,
  type MockCluster,
  type Registered,
} from "./mocks";

const MIRROR = "registry.example.net/mirror";

function describeObject(resource: Registered): string {
  const { name, namespace } = resource.inputs.metadata as { name: string; namespace?: string };
  return `${resource.inputs.kind} ${namespace ?? "-"}/${name}`;
}

/** The admin account, its binding to cluster-admin and its token Secret, as the UI's login needs them. */
function assertAdminAccount(created: Registered[], namespace: string, account: string): Registered {
  const serviceAccount = findObject(created, "ServiceAccount", account, namespace);
  const binding = findObject(created, "ClusterRoleBinding", account);
  assert.deepEqual(binding.inputs.roleRef, {
    apiGroup: "rbac.authorization.k8s.io",
    kind: "ClusterRole",
    name: "cluster-admin",
  });
  assert.deepEqual(binding.inputs.subjects, [{ kind: "ServiceAccount", name: account, namespace }]);
  const tokenSecrets = created.filter(
    (r) => r.inputs.kind === "Secret" && r.inputs.type === "kubernetes.io/service-account-token",
  );
  assert.equal(tokenSecrets.length, 1);
  const [secret] = tokenSecrets;
  const metadata = secret.inputs.metadata as { namespace: string; annotations: Record<string, string> };
  assert.equal(metadata.namespace, namespace);
  assert.equal(metadata.annotations["kubernetes.io/service-account.name"], account);
  assert.ok(secret.dependencies.includes(serviceAccount.name), "the token Secret waits for its ServiceAccount");
  return secret;
}

describe("Dashboard and Headlamp components (Pulumi mocks)", () => {
  let cluster: MockCluster;
  let dashboard: Dashboard;
  let mirroredDashboard: Dashboard;
  let headlamp: Headlamp;

  before(async () => {
    cluster = await installMocks({ preview: false });
    const provider = kubernetesProvider("ui-test-k8s", "kubeconfig", {});
    const joins = [stepResource("ui-test-join-a"), stepResource("ui-test-join-b")];
    dashboard = new Dashboard("dash", { imageMirror: undefined, provider, dependsOn: joins });
    mirroredDashboard = new Dashboard("dash-mirror", { imageMirror: MIRROR, provider, dependsOn: joins });
    headlamp = new Headlamp("lamp", { imageMirror: MIRROR, provider, dependsOn: joins });
    await cluster.settle();
  });

  it("creates the Dashboard v2.7.0 manifest's objects plus an admin account", () => {
    const created = kubernetesObjects(cluster.resources, "dash").filter((r) => !r.name.startsWith("dash-mirror-"));
    const vendored = loadManifest("dashboard", "recommended.yaml").map(
      (o) => `${o.kind} ${o.metadata.namespace ?? "-"}/${o.metadata.name}`,
    );
    const extra = [
      `ServiceAccount ${DASHBOARD_NAMESPACE}/admin-user`,
      "ClusterRoleBinding -/admin-user",
      `Secret ${DASHBOARD_NAMESPACE}/admin-user-token`,
    ];
    assert.deepEqual(created.map(describeObject).sort(), [...vendored, ...extra].sort());
    const deployment = findObject(created, "Deployment", "kubernetes-dashboard", DASHBOARD_NAMESPACE);
    assert.ok(imagesOfObject(deployment).includes("kubernetesui/dashboard:v2.7.0"));
    for (const resource of created) {
      const { namespace } = resource.inputs.metadata as { namespace?: string };
      assert.ok(namespace === undefined || namespace === DASHBOARD_NAMESPACE, describeObject(resource));
    }
    assertAdminAccount(created, DASHBOARD_NAMESPACE, "admin-user");
    // Built-in kinds go through the SDK's own classes, whose Secret keeps data out of the state in plain text.
    const csrf = findObject(created, "Secret", "kubernetes-dashboard-csrf", DASHBOARD_NAMESPACE);
    const data = csrf.inputs.data as Record<string, unknown>;
    assert.equal(data[pulumi.runtime.specialSigKey], pulumi.runtime.specialSecretSig, "Secret data is secret");
  });

  it("creates every Dashboard object after the workers joined, and namespaced ones after the namespace", () => {
    const created = kubernetesObjects(cluster.resources, "dash").filter((r) => !r.name.startsWith("dash-mirror-"));
    const namespace = findObject(created, "Namespace", DASHBOARD_NAMESPACE);
    for (const resource of created) {
      for (const join of ["ui-test-join-a", "ui-test-join-b"]) {
        assert.ok(resource.dependencies.includes(join), `${resource.name} waits for ${join}`);
      }
      const { namespace: ns } = resource.inputs.metadata as { namespace?: string };
      if (ns) assert.ok(resource.dependencies.includes(namespace.name), `${resource.name} waits for its namespace`);
    }
  });

  it("reads the token back from the created Secret and exposes it decoded, as a secret", async () => {
    const created = kubernetesObjects(cluster.resources, "dash").filter((r) => !r.name.startsWith("dash-mirror-"));
    const secret = findObject(created, "Secret", "admin-user-token", DASHBOARD_NAMESPACE);
    const read = cluster.resources.find((r) => r.readId !== undefined && r.name === "dash-admin-token-read");
    assert.ok(read, "the Secret is read back");
    assert.equal(read.type, "kubernetes:core/v1:Secret");
    assert.equal(read.readId, `${DASHBOARD_NAMESPACE}/admin-user-token`);
    assert.ok(read.dependencies.includes(secret.name), "the read waits for the Secret");
    assert.equal(await pulumi.isSecret(dashboard.token), true);
    assert.equal(await outputValue(dashboard.token), cluster.tokenFor(read.readId as string));
    assert.match(dashboard.urlHint, /kubectl proxy/);
  });

  it("moves every Dashboard image to the mirror", () => {
    const plain = kubernetesObjects(cluster.resources, "dash")
      .filter((r) => !r.name.startsWith("dash-mirror-"))
      .flatMap(imagesOfObject);
    const mirrored = kubernetesObjects(cluster.resources, "dash-mirror").flatMap(imagesOfObject);
    assert.equal(plain.length, 2, "dashboard and metrics scraper");
    assert.equal(mirrored.length, plain.length);
    for (const image of mirrored) assert.ok(image.startsWith(`${MIRROR}/kubernetesui/`), image);
    for (const image of plain) assert.ok(image.startsWith("kubernetesui/"), image);
  });

  it("creates Headlamp's manifest in kube-system with an admin account for its bundled token Secret", async () => {
    const created = kubernetesObjects(cluster.resources, "lamp");
    const vendored = loadManifest("headlamp", "kubernetes-headlamp.yaml").map(
      (o) => `${o.kind} ${o.metadata.namespace ?? "-"}/${o.metadata.name}`,
    );
    const extra = [`ServiceAccount ${HEADLAMP_NAMESPACE}/headlamp-admin`, "ClusterRoleBinding -/headlamp-admin"];
    assert.deepEqual(created.map(describeObject).sort(), [...vendored, ...extra].sort());
    const secret = assertAdminAccount(created, HEADLAMP_NAMESPACE, "headlamp-admin");
    for (const resource of created) assert.ok(resource.dependencies.includes("ui-test-join-a"), resource.name);
    const images = created.flatMap(imagesOfObject);
    assert.equal(images.length, 1);
    assert.match(images[0], new RegExp(`^${MIRROR}/headlamp-k8s/headlamp:v\\d+\\.\\d+\\.\\d+$`));
    const read = cluster.resources.find((r) => r.readId !== undefined && r.name === "lamp-admin-token-read");
    assert.ok(read?.dependencies.includes(secret.name));
    assert.equal(await pulumi.isSecret(headlamp.token), true);
    assert.equal(await outputValue(headlamp.token), cluster.tokenFor(`${HEADLAMP_NAMESPACE}/headlamp-admin`));
    assert.match(headlamp.urlHint, /port-forward/);
    assert.notEqual(await outputValue(mirroredDashboard.token), undefined);
  });
});

describe("Dashboard in a preview of a cluster that does not exist yet (Pulumi mocks)", () => {
  let cluster: MockCluster;
  let dashboard: Dashboard;

  before(async () => {
    cluster = await installMocks({ preview: true });
    const kubeconfig = pulumi.output(pulumi.unknown as unknown as string);
    const provider = kubernetesProvider("preview-k8s", kubeconfig, {});
    dashboard = new Dashboard("dash-preview", { imageMirror: undefined, provider, dependsOn: [] });
    await cluster.settle();
  });

  it("reads the token with an unknown id, which the engine skips, and keeps the output secret and unknown", async () => {
    const read = cluster.resources.find((r) => r.readId !== undefined && r.name === "dash-preview-admin-token-read");
    assert.ok(read);
    assert.equal(read.readId, UNKNOWN_ID);
    assert.equal(await pulumi.isSecret(dashboard.token), true);
    const known = await (dashboard.token as unknown as { isKnown: Promise<boolean> }).isKnown;
    assert.equal(known, false);
  });
});
