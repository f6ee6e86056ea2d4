// Create and update alike: read the node's certificates, renew them when they are due, and store what the node has
// then. create.ts calls convergeCertificates with nothing renewed before; an update carries the last renewal over.
import { readFileSync } from "fs";
import { join } from "path";
import { renewalDue } from "../../kubeadm/certificate-expiration";
import { describeTarget } from "../../ssh";
import { takeEtcdSnapshot, type EtcdSnapshot } from "../node/etcd-snapshot";
import { waitForApiServer } from "../node/kubectl";
import { ADMIN_CONF_PATH, readRequiredFile } from "../node/remote-files";
import { stripUndefined } from "../shared/plain-data";
import { KubeadmStepError } from "../shared/step-errors";
import { connectionSecrets, StepReporter, type SessionOpener } from "../shared/step-reporter";
import { dueMessage, readExpiration, warnAboutAuthorities } from "./expiration";
import type { CertificateRenewalInputs, CertificateRenewalOutputs } from "./inputs";

export const RENEW_SCRIPT_FILE = join(__dirname, "..", "scripts", "renew-certificates.sh");
/** How long the API server gets to answer again after its restart. */
const API_SERVER_WAIT_SECONDS = 180;

export async function updateCertificateRenewal(
  olds: CertificateRenewalOutputs,
  news: CertificateRenewalInputs,
  open: SessionOpener,
): Promise<{ outs: CertificateRenewalOutputs }> {
  return {
    outs: await convergeCertificates(news, open, { renewedAt: olds.renewedAt, etcdSnapshot: olds.etcdSnapshot }),
  };
}

/**
 * Reads the node's certificates, renews them when due (or when `force`), and reads what the node has then. Runs in
 * one SSH session, like every operation of a node.
 */
export async function convergeCertificates(
  inputs: CertificateRenewalInputs,
  open: SessionOpener,
  previous: { renewedAt?: string; etcdSnapshot?: EtcdSnapshot },
): Promise<CertificateRenewalOutputs> {
  const name = inputs.node.name;
  // Its own first step, not "connect": the node's init or join prints "[node] connect: done in 0.2s" too, and the
  // Diagnostics section would show the same line twice with nothing to tell which operation it was.
  const reporter = new StepReporter(name, "certificates");
  return reporter.run(async () => {
    reporter.begin("certificates", `connecting to ${describeTarget(inputs.connection)}`);
    return open(
      inputs.connection,
      async (session) => {
        reporter.begin("certificates", "reading their expiry (kubeadm certs check-expiration)");
        let expiration = await readExpiration(session);
        let renewedAt = previous.renewedAt;
        let etcdSnapshot = previous.etcdSnapshot;
        if (renewalDue(expiration.certificates, inputs.renewBeforeDays)) {
          reporter.begin(
            "renew certificates",
            `${dueMessage({ certificatesExpire: expiration.certificates, firstToExpire: expiration.firstToExpire }, inputs.renewBeforeDays)}: kubeadm certs renew all, then each component restarted`,
          );
          if (inputs.etcdSnapshotsKeep !== undefined) {
            etcdSnapshot = (await takeEtcdSnapshot(session, name, inputs.etcdSnapshotsKeep, reporter)) ?? etcdSnapshot;
            reporter.begin("renew certificates");
          }
          await session.run(readFileSync(RENEW_SCRIPT_FILE, "utf8"), {
            summary: "renew-certificates.sh (kubeadm certs renew all, control-plane containers restarted)",
          });
          if (!(await waitForApiServer(session, API_SERVER_WAIT_SECONDS))) {
            throw new KubeadmStepError(
              session.target,
              "renew certificates",
              `the API server on ${session.target} did not answer within ${API_SERVER_WAIT_SECONDS}s of its restart ` +
                "with the renewed certificates: see 'crictl ps -a --name kube-apiserver' and its logs on the host; " +
                "the next pulumi up reads the certificates again",
            );
          }
          expiration = await readExpiration(session);
          renewedAt = new Date().toISOString();
        }
        warnAboutAuthorities(name, expiration.authorities);
        const kubeconfig =
          inputs.kubeconfig === undefined
            ? undefined
            : await readRequiredFile(session, ADMIN_CONF_PATH, "certificates");
        reporter.done(
          `certificates ${renewedAt !== previous.renewedAt ? "renewed, " : ""}valid until ${expiration.certificates.slice(0, 10)}`,
        );
        return stripUndefined({
          ...inputs,
          kubeconfig,
          kubeconfigGiven: inputs.kubeconfig,
          certificatesExpire: expiration.certificates,
          firstToExpire: expiration.firstToExpire,
          authoritiesExpire: expiration.authorities,
          renewedAt,
          etcdSnapshot,
        });
      },
      {
        label: name,
        secrets: [...connectionSecrets(inputs.connection), ...(inputs.kubeconfig ? [inputs.kubeconfig] : [])],
        onOutput: reporter.onOutput,
      },
    );
  });
}
