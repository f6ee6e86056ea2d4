// Which settings hold credentials. Shared by the validator (they must be stored encrypted) and
// the loaders (the program must keep them secret).
import type { ClusterConfigInput, SshSettings } from "./schema";
import { configKey, type ConfigPath } from "./key-path";

export const SECRET_SSH_FIELDS = ["privateKey", "privateKeyPassword", "password"] as const satisfies ReadonlyArray<
  keyof SshSettings
>;

/** Keys (as `pulumi-kubeadm:...`) of every credential present in the config, never their values. */
export function secretKeysPresent(config: ClusterConfigInput): string[] {
  const owners: Array<{ path: ConfigPath; settings: SshSettings }> = [];
  if (config.ssh) owners.push({ path: ["ssh"], settings: config.ssh });
  for (const group of ["controlPlane", "workers"] as const) {
    (config[group] ?? []).forEach((host, index) => {
      owners.push({ path: [group, index], settings: host });
      if (host.bastion) owners.push({ path: [group, index, "bastion"], settings: host.bastion });
    });
  }
  return owners.flatMap(({ path, settings }) =>
    SECRET_SSH_FIELDS.filter((field) => settings[field] !== undefined).map((field) => configKey([...path, field])),
  );
}
