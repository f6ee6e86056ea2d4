// Creating the resource converges like an update (update.ts): the certificates are read, and renewed if already due.
import type { SessionOpener } from "../shared/step-reporter";
import type { CertificateRenewalInputs, CertificateRenewalOutputs } from "./inputs";
import { convergeCertificates } from "./update";

export async function createCertificateRenewal(
  inputs: CertificateRenewalInputs,
  open: SessionOpener,
): Promise<{ id: string; outs: CertificateRenewalOutputs }> {
  return { id: inputs.node.name, outs: await convergeCertificates(inputs, open, {}) };
}
