// Problems must name the key exactly as the user writes it with `pulumi config set --path`,
// so that the message can be acted on without translating an internal path.
/** The namespace of every config key: the Pulumi project's name. */
export const PROJECT = "pulumi-kubeadm";

/** A location inside the project's config: top-level key, then object keys and list indexes. */
export type ConfigPath = ReadonlyArray<string | number>;

/** Keys made of these characters can follow a dot in a Pulumi property path; others need ["..."]. */
const PLAIN_SEGMENT = /^[A-Za-z0-9_-]+$/;

/** `pulumi-kubeadm:workers[1].address`, `pulumi-kubeadm:containerd.registryMirrors["docker.io"]`. */
export function configKey(path: ConfigPath): string {
  let text = "";
  for (const segment of path) {
    if (typeof segment === "number") text += `[${segment}]`;
    else if (PLAIN_SEGMENT.test(segment)) text += text === "" ? segment : `.${segment}`;
    else text += `[${JSON.stringify(segment)}]`;
  }
  return `${PROJECT}:${text}`;
}

/** The same path without the project prefix, as `pulumi config set --path` takes it. */
export function pathArgument(path: ConfigPath): string {
  return configKey(path).slice(PROJECT.length + 1);
}
