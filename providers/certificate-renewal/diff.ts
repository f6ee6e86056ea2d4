// Whether the certificates are due, decided from the expiry stored at the last create, update or refresh, without
// logging in; a change of the inputs is stored.
import type * as pulumi from "@pulumi/pulumi";
import { renewalDue } from "../../kubeadm/certificate-expiration";
import { containsUnknown, sameData } from "../shared/plain-data";
import { warn } from "../shared/step-reporter";
import { dueMessage } from "./expiration";
import type { CertificateRenewalInputs, CertificateRenewalOutputs } from "./inputs";

const INPUT_KEYS = ["connection", "node", "renewBeforeDays"] as const;

export function certificateDiff(
  olds: CertificateRenewalOutputs,
  news: CertificateRenewalInputs,
  now = Date.now(),
): pulumi.dynamic.DiffResult {
  const changedInputs: string[] = INPUT_KEYS.filter((key) => !sameData(olds[key], news[key]));
  if (!sameData(olds.kubeconfigGiven, news.kubeconfig)) changedInputs.push("kubeconfig");
  const days = containsUnknown(news.renewBeforeDays) ? olds.renewBeforeDays : news.renewBeforeDays;
  const due = renewalDue(olds.certificatesExpire, days, now);
  // Shown in the preview, and again while the update runs: with no input changed, the preview's row alone would
  // not say why the resource updates.
  if (due) warn(olds.node.name, `${dueMessage(olds, days)}: this update renews them`);
  return { changes: due || changedInputs.length > 0, replaces: [], deleteBeforeReplace: false };
}
