// Refresh: the certificates' expiry read again (a renewal by hand or by `kubeadm upgrade` shows), the admin
// kubeconfig with it; a host that cannot be reached keeps the recorded expiry.
import { renewalDue, type CertificateExpiration } from "../../kubeadm/certificate-expiration";
import { describeTarget } from "../../ssh";
import { ADMIN_CONF_PATH } from "../node/remote-files";
import { stripUndefined } from "../shared/plain-data";
import { connectionSecrets, StepReporter, unlessUnreachable, warn, type SessionOpener } from "../shared/step-reporter";
import { dueMessage, readExpiration, warnAboutAuthorities } from "./expiration";
import type { CertificateRenewalOutputs } from "./inputs";

export function readCertificates(
  id: string,
  props: CertificateRenewalOutputs,
  open: SessionOpener,
): Promise<{ id: string; props: CertificateRenewalOutputs }> {
  const name = props.node.name;
  const reporter = new StepReporter(name);
  return reporter.run(async () => {
    reporter.begin("refresh", describeTarget(props.connection));
    const refreshed = await unlessUnreachable(reporter, "Refresh keeps the certificates' recorded expiry.", () =>
      open(
        props.connection,
        async (session) => {
          let expiration: CertificateExpiration;
          try {
            expiration = await readExpiration(session);
          } catch (error) {
            warn(name, `${(error as Error).message.split("\n")[0]}; the certificates' recorded expiry is kept`);
            return { id, props };
          }
          if (renewalDue(expiration.certificates, props.renewBeforeDays)) {
            warn(
              name,
              `${dueMessage({ certificatesExpire: expiration.certificates, firstToExpire: expiration.firstToExpire }, props.renewBeforeDays)}: the next pulumi up renews them`,
            );
          }
          warnAboutAuthorities(name, expiration.authorities);
          const kubeconfig =
            props.kubeconfig === undefined
              ? undefined
              : ((await session.readFile(ADMIN_CONF_PATH)) ?? props.kubeconfig);
          return {
            id,
            props: stripUndefined({
              ...props,
              kubeconfig,
              certificatesExpire: expiration.certificates,
              firstToExpire: expiration.firstToExpire,
              authoritiesExpire: expiration.authorities,
            }),
          };
        },
        {
          label: name,
          secrets: [...connectionSecrets(props.connection), ...(props.kubeconfig ? [props.kubeconfig] : [])],
          onOutput: reporter.onOutput,
        },
      ),
    );
    return refreshed ?? { id, props };
  });
}
