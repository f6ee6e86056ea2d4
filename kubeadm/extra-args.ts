// Turns the spec's flag-name→value maps into the shape each kubeadm config API accepts. Entries are sorted by
// flag name so that the rendered config, and therefore the Pulumi diff, does not depend on insertion order.
import type { ExtraArgs } from "../config/schema";
import { KUBEADM_V1BETA4, type KubeadmApiVersion } from "./api-version";

export interface KubeadmArg {
  name: string;
  value: string;
}

/** v1beta4 wants `[{name, value}]`; v1beta3 wants a plain map and fails to decode a list. */
export function formatExtraArgs(args: ExtraArgs, apiVersion: KubeadmApiVersion): KubeadmArg[] | Record<string, string> {
  const names = Object.keys(args).sort();
  for (const name of names) {
    // kubeadm adds the leading "--" itself; a name that already has one becomes a flag the component rejects.
    if (name.length === 0 || name.startsWith("-")) {
      throw new Error(`extra argument name "${name}" must be a flag name without leading dashes`);
    }
  }
  if (apiVersion === KUBEADM_V1BETA4) {
    return names.map((name) => ({ name, value: args[name] }));
  }
  return Object.fromEntries(names.map((name) => [name, args[name]]));
}

export function hasExtraArgs(args: ExtraArgs): boolean {
  return Object.keys(args).length > 0;
}
