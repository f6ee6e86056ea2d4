// Which settings hold credentials. Shared by the validator (they must be stored encrypted) and
// the loaders (the program must keep them secret).
import type { ClusterConfigInput, SshSettings } from "./schema";
import { configKey, type ConfigPath } from "./key-path";

export const SECRET_SSH_FIELDS = ["privateKey", "privateKeyPassword", "password"] as const satisfies ReadonlyArray<
  keyof SshSettings
>;

/**
 * Stands in for an encrypted string in a stack file read without Pulumi: present, but its value is unknown
 * without the stack's key.
 */
export const SECRET_PLACEHOLDER = "[secret]";

/**
 * Why a path setting (hostsFile, privateKeyFile) that is `value` cannot be used, when it is the placeholder
 * of an encrypted value: the file it names cannot be opened without the stack's key. A path is not a secret.
 */
export function encryptedPathProblem(value: string, encrypted: boolean, argument: string): string | undefined {
  if (value !== SECRET_PLACEHOLDER || !encrypted) return undefined;
  return (
    `is encrypted, so the file it names cannot be checked before deployment; it is a path, not a secret: ` +
    `store it in plain text with pulumi config set --path '${argument}' <path>`
  );
}

/** Settings whose resolved value carries a credential: privateKeyFile becomes the key read from the file. */
const CREDENTIAL_SOURCE_FIELDS = [...SECRET_SSH_FIELDS, "privateKeyFile"] as const satisfies ReadonlyArray<
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
  const sshKeys = owners.flatMap(({ path, settings }) =>
    CREDENTIAL_SOURCE_FIELDS.filter((field) => settings[field] !== undefined).map((field) =>
      configKey([...path, field]),
    ),
  );
  // A supplied CA's key, written in the config or read from keyFile.
  const caKeys = (["keyPem", "keyFile"] as const)
    .filter((field) => config.clusterCa?.[field] !== undefined)
    .map((field) => configKey(["clusterCa", field]));
  return [...sshKeys, ...caKeys];
}
