// The certificate renewal resource against fake hosts: when it renews, what it runs, what it stores and says.
import { strict as assert } from "assert";
import { certificateRenewalProviderWith } from "../../providers/certificate-renewal";
import { certificateDiff } from "../../providers/certificate-renewal/diff";
import type { CertificateRenewalInputs, CertificateRenewalOutputs } from "../../providers/certificate-renewal/inputs";
import { captureConsole, FakeHost, fakeOpener } from "./kubeadm-fakes";
import { controlPlaneNode } from "../kubeadm/cluster-spec-fixture";

const DAY = 86_400_000;
const KUBECONFIG =
  "apiVersion: v1\nkind: Config\nusers:\n- name: kubernetes-admin\n  user:\n    client-key-data: c2VjcmV0LWtleS1kYXRh\n";

function report(certificatesInDays: number, authoritiesInDays = 3000): string {
  const at = (days: number) => new Date(Date.now() + days * DAY).toISOString().replace(/\.\d+Z$/, "Z");
  return JSON.stringify({
    kind: "CertificateExpirationInfo",
    apiVersion: "output.kubeadm.k8s.io/v1alpha3",
    certificates: [
      { name: "admin.conf", expirationDate: at(certificatesInDays + 1), externallyManaged: false, missing: false },
      { name: "apiserver", expirationDate: at(certificatesInDays), externallyManaged: false, missing: false },
      { name: "super-admin.conf", expirationDate: null, externallyManaged: false, missing: true },
    ],
    certificateAuthorities: [{ name: "ca", expirationDate: at(authoritiesInDays), missing: false }],
  });
}

describe("CertificateRenewal", () => {
  const node = controlPlaneNode();
  let host: FakeHost;
  let inputs: CertificateRenewalInputs;

  beforeEach(() => {
    host = new FakeHost(node.name, node.connection.host);
    host.files.set("/etc/kubernetes/admin.conf", KUBECONFIG);
    inputs = { connection: node.connection, node: { name: node.name }, renewBeforeDays: 30, kubeconfig: KUBECONFIG };
  });

  /** Expiry in `before` days until the renewal script runs, in `after` days from then on. */
  function expiringIn(before: number, after = 365, onRenew: (h: FakeHost) => void = () => {}): void {
    let renewed = false;
    host.on(/kubeadm certs renew all/, (_command, h) => {
      renewed = true;
      onRenew(h);
      return { stdout: "certificate for serving the Kubernetes API renewed\n" };
    });
    host.on(/check-expiration/, () => ({ stdout: report(renewed ? after : before) }));
  }

  it("creates without renewing certificates that are far from expiry, and stores when they expire", async () => {
    expiringIn(200);
    const provider = certificateRenewalProviderWith(fakeOpener([host]));
    const created = await captureConsole(() => provider.create!(inputs));
    assert.equal(created.error, undefined, created.error?.message);
    const outs = created.result!.outs as CertificateRenewalOutputs;
    assert.ok(!host.commands.some((c) => c.includes("kubeadm certs renew all")), host.commands.join("\n"));
    assert.equal(Math.round((Date.parse(outs.certificatesExpire) - Date.now()) / DAY), 200);
    assert.equal(outs.firstToExpire, "apiserver");
    assert.equal(outs.renewedAt, undefined);
    assert.equal(outs.kubeconfig, KUBECONFIG);
  });

  it("renews certificates within renewBeforeDays, restarts the components, and stores the new expiry and kubeconfig", async () => {
    const renewedConfig = KUBECONFIG.replace("c2VjcmV0", "bmV3LWtl");
    expiringIn(12, 365, (h) => h.files.set("/etc/kubernetes/admin.conf", renewedConfig));
    const provider = certificateRenewalProviderWith(fakeOpener([host]));
    const created = await captureConsole(() => provider.create!(inputs));
    assert.equal(created.error, undefined, created.error?.message);
    const outs = created.result!.outs as CertificateRenewalOutputs;
    const renew = host.commands.findIndex((c) => c.includes("kubeadm certs renew all"));
    assert.ok(renew >= 0, host.commands.join("\n"));
    assert.match(host.commands[renew], /crictl stop/, "the components are restarted after the renewal");
    assert.ok(
      host.commands.slice(renew).some((c) => c.includes("/readyz")),
      "the API server is waited for",
    );
    assert.equal(Math.round((Date.parse(outs.certificatesExpire) - Date.now()) / DAY), 365);
    assert.ok(outs.renewedAt);
    assert.equal(outs.kubeconfig, renewedConfig);
    const shown = created.lines.join("\n");
    assert.match(
      shown,
      /certificates: the first, apiserver, expires in 1[12] days \(.*\), within certificates\.renewBeforeDays \(30\)/,
    );
    assert.ok(!shown.includes("c2VjcmV0LWtleS1kYXRh"), "the kubeconfig's key never reaches the output");
  });

  it("stops with the way forward when the API server does not come back", async () => {
    expiringIn(5);
    host.on(/readyz/, { code: 1 });
    const provider = certificateRenewalProviderWith(fakeOpener([host]));
    const created = await captureConsole(() => provider.create!(inputs));
    assert.match(String(created.error?.message), /did not answer within 180s .*'crictl ps -a --name kube-apiserver'/);
  });

  describe("diff, from the stored expiry and without logging in", () => {
    const stored = (inDays: number): CertificateRenewalOutputs => ({
      ...inputs,
      kubeconfigGiven: inputs.kubeconfig,
      certificatesExpire: new Date(Date.now() + inDays * DAY).toISOString(),
      firstToExpire: "apiserver",
      authoritiesExpire: new Date(Date.now() + 3000 * DAY).toISOString(),
    });

    it("plans nothing while the certificates are far from expiry", async () => {
      const result = await captureConsole(async () => certificateDiff(stored(100), inputs));
      assert.equal(result.result!.changes, false);
      // After a renewal the stored kubeconfig is the host's new one; the input, init's, has not changed.
      const renewed = { ...stored(300), kubeconfig: "renewed admin.conf", kubeconfigGiven: KUBECONFIG };
      assert.equal(certificateDiff(renewed, inputs).changes, false);
      assert.equal(certificateDiff(renewed, { ...inputs, kubeconfig: "init's, refreshed" }).changes, true);
      assert.deepEqual(result.lines, []);
      assert.equal(host.runs.length, 0);
    });

    it("plans an update, never a replacement, once they are within renewBeforeDays, and says why", async () => {
      const result = await captureConsole(async () => certificateDiff(stored(20), inputs));
      assert.equal(result.result!.changes, true);
      assert.deepEqual(result.result!.replaces, []);
      assert.match(result.lines.join("\n"), /expires in (19|20) days.*: this update renews them/);
      // A larger window brings the renewal forward.
      assert.equal(certificateDiff(stored(100), { ...inputs, renewBeforeDays: 120 }).changes, true);
    });
  });

  it("keeps the recorded expiry when refresh cannot reach the host", async () => {
    host.unreachable = true;
    const props: CertificateRenewalOutputs = {
      ...inputs,
      certificatesExpire: "2027-12-01T00:00:00.000Z",
      firstToExpire: "apiserver",
      authoritiesExpire: "2035-12-01T00:00:00.000Z",
    };
    const provider = certificateRenewalProviderWith(fakeOpener([host]));
    const read = await captureConsole(() => provider.read!("cp", props));
    assert.equal(read.error, undefined);
    assert.deepEqual(read.result, { id: "cp", props });
    assert.match(read.lines.join("\n"), /keeps the certificates' recorded expiry/);
  });

  it("warns on refresh when a CA expires before renewed certificates would", async () => {
    host.on(/check-expiration/, { stdout: report(200, 100) });
    const provider = certificateRenewalProviderWith(fakeOpener([host]));
    const props = (await provider.create!(inputs)).outs as CertificateRenewalOutputs;
    const read = await captureConsole(() => provider.read!("cp", props));
    assert.match(read.lines.join("\n"), /CAs expire in (99|100) days .* kubeadm cannot renew a CA/);
  });
});
