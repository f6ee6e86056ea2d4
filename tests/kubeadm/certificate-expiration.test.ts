// kubeadm's expiry report, read as the certificate renewal reads it: from the real kubeadm, on a PKI it issued.
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { daysUntil, parseCertificateExpiration, renewalDue } from "../../kubeadm/certificate-expiration";
import { pinnedVersions } from "../../tools/paths";
import { requireKubeadm, run, tempDir } from "./real-kubeadm";

describe("kubeadm certs check-expiration", () => {
  it("reads the earliest certificate and CA expiry of a PKI the real kubeadm issued, skipping missing kubeconfigs", function () {
    const kubeadm = requireKubeadm(this, pinnedVersions().KUBERNETES_VERSION);
    const { dir, cleanup } = tempDir("certs-expiration-");
    try {
      const config = path.join(dir, "config.yaml");
      fs.writeFileSync(
        config,
        [
          "apiVersion: kubeadm.k8s.io/v1beta4",
          "kind: ClusterConfiguration",
          `kubernetesVersion: v${pinnedVersions().KUBERNETES_VERSION}`,
          `certificatesDir: ${dir}/pki`,
          // Shorter than the year the others get: it must be the one reported first.
          "certificateValidityPeriod: 2000h",
          "",
        ].join("\n"),
      );
      const issued = run(kubeadm, ["init", "phase", "certs", "all", "--config", config]);
      assert.equal(issued.status, 0, issued.stderr);
      const report = run(kubeadm, ["certs", "check-expiration", "--config", config, "-o", "json"]);
      assert.equal(report.status, 0, report.stderr);
      const expiration = parseCertificateExpiration(report.stdout);
      // The kubeconfig files (admin.conf, ...) do not exist here: reported missing, they do not count.
      const days = daysUntil(expiration.certificates);
      assert.ok(days >= 82 && days <= 83, `certificates expire in ${days} days`);
      assert.ok(daysUntil(expiration.authorities) > 3600, expiration.authorities);
      assert.ok(renewalDue(expiration.certificates, 90));
      assert.ok(!renewalDue(expiration.certificates, 30));
    } finally {
      cleanup();
    }
  });

  it("refuses what is not kubeadm's report, and a report without certificates", () => {
    assert.throws(() => parseCertificateExpiration("error: open /etc/kubernetes/pki/ca.crt"), /did not print JSON/);
    assert.throws(() => parseCertificateExpiration(JSON.stringify({ kind: "Status" })), /printed a Status/);
    assert.throws(
      () =>
        parseCertificateExpiration(
          JSON.stringify({
            kind: "CertificateExpirationInfo",
            certificates: [{ name: "admin.conf", expirationDate: null, missing: true }],
            certificateAuthorities: [],
          }),
        ),
      /no certificate on this host/,
    );
  });
});
