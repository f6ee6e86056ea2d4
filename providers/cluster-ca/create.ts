// Creating the CA: a new key and self-signed certificate, made on the machine running Pulumi, and its hash.
import { caCertHash } from "../../kubeadm/ca-hash";
import { generateClusterCa } from "../../kubeadm/cluster-ca";
import { inputFailures, type ClusterCaInputs, type ClusterCaOutputs } from "./inputs";

export function createClusterCa(inputs: ClusterCaInputs): { id: string; outs: ClusterCaOutputs } {
  const failures = inputFailures(inputs);
  if (failures.length > 0) {
    throw new Error(`invalid ClusterCa inputs: ${failures.map((f) => `${f.property} ${f.reason}`).join("; ")}`);
  }
  const { certPem, keyPem } = generateClusterCa({
    keyType: inputs.keyType,
    rsaBits: inputs.rsaBits,
    validityDays: inputs.validityDays,
  });
  const hash = caCertHash(certPem);
  const outs: ClusterCaOutputs = {
    keyType: inputs.keyType,
    rsaBits: inputs.rsaBits,
    validityDays: inputs.validityDays,
    certPem,
    keyPem,
    caCertHash: hash,
  };
  // The hash names the CA uniquely and is public (every join command prints it).
  return { id: hash, outs };
}
