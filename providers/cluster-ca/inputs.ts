// Inputs and outputs of the cluster CA's resource (dynamic type ClusterCa), and which inputs its check refuses.
import type * as pulumi from "@pulumi/pulumi";
import type { CaKeyType } from "../../kubeadm/cluster-ca";

export interface ClusterCaInputs {
  keyType: CaKeyType;
  rsaBits: number;
  validityDays: number;
}

export interface ClusterCaOutputs extends ClusterCaInputs {
  certPem: string;
  /** Secret: marked by the ClusterCa resource through additionalSecretOutputs. */
  keyPem: string;
  caCertHash: string;
}

const KEY_TYPES: readonly string[] = ["rsa", "ecdsa"];
const RSA_SIZES: readonly number[] = [2048, 3072, 4096];

/** How the engine passes a value not yet known during preview (pulumi runtime's `unknownValue`). */
const UNKNOWN_DURING_PREVIEW = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

export function inputFailures(inputs: Partial<ClusterCaInputs>): pulumi.dynamic.CheckFailure[] {
  const failures: pulumi.dynamic.CheckFailure[] = [];
  const known = (value: unknown) => value !== UNKNOWN_DURING_PREVIEW;
  if (known(inputs.keyType) && !KEY_TYPES.includes(String(inputs.keyType))) {
    failures.push({ property: "keyType", reason: `must be one of ${KEY_TYPES.join(", ")}` });
  }
  if (inputs.keyType === "rsa" && known(inputs.rsaBits) && !RSA_SIZES.includes(Number(inputs.rsaBits))) {
    failures.push({ property: "rsaBits", reason: `must be one of ${RSA_SIZES.join(", ")}` });
  }
  if (known(inputs.validityDays) && (!Number.isInteger(inputs.validityDays) || Number(inputs.validityDays) < 1)) {
    failures.push({ property: "validityDays", reason: "must be a positive whole number of days" });
  }
  return failures;
}

/** The engine's check: the inputs as given, or what is wrong with them. */
export function checkClusterCaInputs(news: ClusterCaInputs): pulumi.dynamic.CheckResult<ClusterCaInputs> {
  const failures = inputFailures(news);
  return failures.length > 0 ? { failures } : { inputs: news };
}
