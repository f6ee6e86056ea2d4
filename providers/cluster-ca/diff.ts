// What a change of the CA's settings does: only a different key makes a different CA, which is a replacement (and a
// new cluster); see index.ts for the rotation policy.
import type * as pulumi from "@pulumi/pulumi";
import type { ClusterCaInputs, ClusterCaOutputs } from "./inputs";

/** The properties whose change makes a different CA; validityDays is deliberately absent (see index.ts). */
function replacingChanges(olds: ClusterCaOutputs, news: ClusterCaInputs): string[] {
  const changed: string[] = [];
  if (olds.keyType !== news.keyType) changed.push("keyType");
  // The RSA size means nothing to an ECDSA CA, so editing it there must not replace the CA.
  if (news.keyType === "rsa" && olds.keyType === "rsa" && olds.rsaBits !== news.rsaBits) changed.push("rsaBits");
  return changed;
}

export function clusterCaDiff(olds: ClusterCaOutputs, news: ClusterCaInputs): pulumi.dynamic.DiffResult {
  const replaces = replacingChanges(olds, news);
  return { changes: replaces.length > 0, replaces, deleteBeforeReplace: false };
}
