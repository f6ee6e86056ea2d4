// The cluster CA as a Pulumi resource: generated once on the machine running Pulumi and kept in the stack's
// state (key encrypted as a secret), so every node can be given the same ca.crt/ca.key and joins can pin the
// CA hash before any host has run kubeadm.
//
// Rotation policy: the CA is never rotated behind the user's back. Only a change of key algorithm or RSA size
// replaces it (that is a different CA by definition, and replacing it means re-creating the cluster);
// changing validityDays affects only CAs created afterwards. To renew an existing CA, replace the resource
// explicitly (`pulumi up --replace <urn>`).
//
// Each resource stores only a stand-in that loads this provider from the source (shared/provider-from-source.ts), so
// delete and read run this code on older outputs too; secrets arrive as inputs, never in the provider.
import * as pulumi from "@pulumi/pulumi";
import { caCertHash } from "../../kubeadm/ca-hash";
import { generateClusterCa, type CaKeyType } from "../../kubeadm/cluster-ca";
import { SourceProvidedResource, SourceProvider } from "../shared/provider-from-source";

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

function inputFailures(inputs: Partial<ClusterCaInputs>): pulumi.dynamic.CheckFailure[] {
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

/** The properties whose change makes a different CA; validityDays is deliberately absent (see the top). */
function replacingChanges(olds: ClusterCaOutputs, news: ClusterCaInputs): string[] {
  const changed: string[] = [];
  if (olds.keyType !== news.keyType) changed.push("keyType");
  // The RSA size means nothing to an ECDSA CA, so editing it there must not replace the CA.
  if (news.keyType === "rsa" && olds.keyType === "rsa" && olds.rsaBits !== news.rsaBits) changed.push("rsaBits");
  return changed;
}

export const clusterCaProvider: pulumi.dynamic.ResourceProvider<ClusterCaInputs, ClusterCaOutputs> = {
  async check(_olds: ClusterCaInputs, news: ClusterCaInputs) {
    const failures = inputFailures(news);
    return failures.length > 0 ? { failures } : { inputs: news };
  },

  async diff(_id: string, olds: ClusterCaOutputs, news: ClusterCaInputs) {
    const replaces = replacingChanges(olds, news);
    return { changes: replaces.length > 0, replaces, deleteBeforeReplace: false };
  },

  async create(inputs: ClusterCaInputs) {
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
  },

  // The CA lives only in the stack's state; there is nothing outside it to remove.
  async delete() {},
};

export interface ClusterCaArgs {
  keyType: pulumi.Input<CaKeyType>;
  rsaBits: pulumi.Input<number>;
  validityDays: pulumi.Input<number>;
}

/** What each resource stores: module text that loads clusterCaProvider from the source. */
export const clusterCaProviderStored = new SourceProvider(
  "providers/cluster-ca",
  "clusterCaProvider",
  clusterCaProvider,
);

export class ClusterCa extends SourceProvidedResource {
  declare readonly keyType: pulumi.Output<CaKeyType>;
  declare readonly rsaBits: pulumi.Output<number>;
  declare readonly validityDays: pulumi.Output<number>;
  declare readonly certPem: pulumi.Output<string>;
  declare readonly keyPem: pulumi.Output<string>;
  declare readonly caCertHash: pulumi.Output<string>;

  constructor(name: string, args: ClusterCaArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      clusterCaProviderStored,
      name,
      { ...args, certPem: undefined, keyPem: undefined, caCertHash: undefined },
      pulumi.mergeOptions(opts, { additionalSecretOutputs: ["keyPem"] }),
      "pulumi-kubeadm",
      "ClusterCa",
    );
  }
}
