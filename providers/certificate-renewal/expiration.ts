// What the node's certificates say about their expiry (kubeadm certs check-expiration), and the messages about it
// that create, update, refresh and diff give alike.
import {
  CHECK_EXPIRATION_COMMAND,
  daysUntil,
  parseCertificateExpiration,
  type CertificateExpiration,
} from "../../kubeadm/certificate-expiration";
import { shellCommand, type RemoteSession } from "../../ssh";
import { warn } from "../shared/step-reporter";

/** kubeadm's certificates live a year: a CA expiring sooner than that would be outlived by a renewal. */
const CERTIFICATE_LIFETIME_DAYS = 365;

export async function readExpiration(session: RemoteSession): Promise<CertificateExpiration> {
  const result = await session.run(shellCommand(CHECK_EXPIRATION_COMMAND), {
    streamOutput: false,
    summary: CHECK_EXPIRATION_COMMAND.join(" "),
  });
  return parseCertificateExpiration(result.stdout);
}

export function dueMessage(expiration: { certificatesExpire: string; firstToExpire: string }, days: number): string {
  const left = daysUntil(expiration.certificatesExpire);
  const when = left < 0 ? `expired ${-left} days ago` : `expires in ${left} days`;
  return (
    `certificates: the first, ${expiration.firstToExpire}, ${when} (${expiration.certificatesExpire.slice(0, 10)}), ` +
    `within certificates.renewBeforeDays (${days})`
  );
}

export function warnAboutAuthorities(node: string, authoritiesExpire: string): void {
  const left = daysUntil(authoritiesExpire);
  if (left < CERTIFICATE_LIFETIME_DAYS) {
    warn(
      node,
      `the cluster's CAs expire in ${left} days (${authoritiesExpire.slice(0, 10)}), before the year certificates ` +
        "renewed now would last: kubeadm cannot renew a CA; plan its rotation (Kubernetes' 'Manual rotation of CA " +
        "certificates') before that day",
    );
  }
}
