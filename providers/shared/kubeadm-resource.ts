// What every kubeadm node resource (master-node/, control-plane-join/, worker-join/) is made of, written once: the
// provider object the engine calls, the input checks they all need, the read guard, and the Resource shell whose
// stored provider loads the provider from the source. A resource folder's index.ts names its type, its module and
// its operations; the operations live in create.ts, read.ts, update.ts, delete.ts and diff.ts beside it.
import * as pulumi from "@pulumi/pulumi";
import { upgradePath } from "../../kubeadm/upgrade-path";
import { withSession } from "../../ssh";
import { containsUnknown } from "./plain-data";
import { SourceProvidedResource, SourceProvider } from "./provider-from-source";
import { warn, type SessionOpener } from "./step-reporter";

/** What read returns: an empty id is the engine's "does not exist any more". */
export interface ReadOutcome<T> {
  id: string;
  props?: T;
}

/**
 * A refresh that found the node gone: a warning with what it found (`finding`) and what the next `pulumi up` then
 * does, and the empty id that makes the resource leave the stack.
 */
export function goneOutcome<T>(node: string, finding: string, next: string): ReadOutcome<T> {
  warn(node, `${finding}: refresh removes it from the stack and the next \`pulumi up\` ${next}`);
  return { id: "" };
}

/** A value the check can judge: given, and not unknown during preview. */
export function known(value: unknown): boolean {
  return value !== undefined && !containsUnknown(value);
}

/**
 * The state a refresh reads from. Import is not supported for dynamic resources (pulumi#16175): refresh always
 * passes the state.
 */
export function stateForRead<T>(id: string, props: T | undefined): T {
  if (props === undefined) throw new Error(`cannot read ${id} without its state (import is not supported)`);
  return props;
}

/** The caCertHash a join pins, as kubeadm accepts it. */
export function caCertHashFailures(caCertHash: unknown): pulumi.dynamic.CheckFailure[] {
  if (known(caCertHash) && !/^sha256:[0-9a-f]{64}$/.test(String(caCertHash))) {
    return [{ property: "caCertHash", reason: 'must be "sha256:" followed by 64 lowercase hex characters' }];
  }
  return [];
}

/** What every kubeadm resource's inputs have: the reset script its delete runs, and the cluster's version. */
interface NodeInputs {
  resetScript: string;
  cluster: { kubernetesVersion: string };
}

/**
 * A change of kubernetesVersion that kubeadm cannot upgrade (a downgrade, a skipped minor) is refused here, at check:
 * `pulumi preview` shows it, and `pulumi up` stops before the host preparation of any node changes.
 */
export function upgradeFailures(
  olds: Partial<NodeInputs> | undefined,
  news: NodeInputs,
): pulumi.dynamic.CheckFailure[] {
  const from = olds?.cluster?.kubernetesVersion;
  const to = news.cluster?.kubernetesVersion;
  if (!known(from) || !known(to) || typeof from !== "string" || typeof to !== "string") return [];
  const path = upgradePath(from, to);
  return path.kind === "refused" ? [{ property: "cluster.kubernetesVersion", reason: path.problem }] : [];
}

/** One kubeadm resource's own parts; `open` is how its operations reach the hosts. */
export interface KubeadmOperations<I extends NodeInputs, O extends I> {
  /** Failures of this resource's own inputs, before the common ones. */
  inputFailures(inputs: I): pulumi.dynamic.CheckFailure[];
  /** Checks that only make sense once every other check passed (rendering the config, say). */
  validInputFailures?(inputs: I): pulumi.dynamic.CheckFailure[];
  diff(olds: O, news: I): pulumi.dynamic.DiffResult;
  create(inputs: I, open: SessionOpener): Promise<{ id: string; outs: O }>;
  read(id: string, props: O, open: SessionOpener): Promise<ReadOutcome<O>>;
  update(id: string, olds: O, news: I, open: SessionOpener): Promise<{ outs: O }>;
  delete(props: O, open: SessionOpener): Promise<void>;
}

export interface KubeadmResourceDefinition<I extends NodeInputs, O extends I> {
  /** The dynamic type, `pulumi-nodejs:dynamic/pulumi-kubeadm:<type>`: changing it would replace every resource. */
  type: string;
  /** Where the provider process finds the provider: the folder (relative to the program) and its export. */
  modulePath: string;
  exportName: string;
  /** Outputs the resource adds to its inputs. */
  outputs: readonly Exclude<keyof O, keyof I>[];
  /** Outputs that are secret (additionalSecretOutputs). */
  secretOutputs: readonly string[];
  operations: KubeadmOperations<I, O>;
}

function commonFailures(inputs: NodeInputs): pulumi.dynamic.CheckFailure[] {
  if (known(inputs.resetScript) && (typeof inputs.resetScript !== "string" || inputs.resetScript.trim() === "")) {
    return [{ property: "resetScript", reason: "must be the text of providers/scripts/reset-node.sh" }];
  }
  return [];
}

/** The provider object the engine calls, its operations reaching the hosts through `open`. */
export function kubeadmProvider<I extends NodeInputs, O extends I>(
  operations: KubeadmOperations<I, O>,
  open: SessionOpener = withSession,
): pulumi.dynamic.ResourceProvider<I, O> {
  return {
    async check(olds: I, news: I) {
      let failures = [...operations.inputFailures(news), ...commonFailures(news), ...upgradeFailures(olds, news)];
      if (failures.length === 0 && operations.validInputFailures) failures = operations.validInputFailures(news);
      return failures.length > 0 ? { failures } : { inputs: news };
    },
    async diff(_id: string, olds: O, news: I) {
      return operations.diff(olds, news);
    },
    async create(inputs: I) {
      return operations.create(inputs, open);
    },
    async update(id: string, olds: O, news: I) {
      return operations.update(id, olds, news, open);
    },
    async read(id: string, props?: O) {
      return operations.read(id, stateForRead(id, props), open);
    },
    async delete(_id: string, props: O) {
      await operations.delete(props, open);
    },
  };
}

/** A definition made whole: the provider, and what each of its resources stores as its provider. */
export interface KubeadmResourceKind<I extends NodeInputs, O extends I> extends KubeadmResourceDefinition<I, O> {
  provider: pulumi.dynamic.ResourceProvider<I, O>;
  stored: SourceProvider;
}

export function defineKubeadmResource<I extends NodeInputs, O extends I>(
  definition: KubeadmResourceDefinition<I, O>,
): KubeadmResourceKind<I, O> {
  const provider = kubeadmProvider(definition.operations);
  return {
    ...definition,
    provider,
    stored: new SourceProvider(definition.modulePath, definition.exportName, provider),
  };
}

/** A resource's arguments: each input, possibly still to come. */
export type KubeadmArgs<I> = { [K in keyof I]: pulumi.Input<I[K]> };

/** The Resource shell: the inputs, the outputs to come, the secret ones marked. */
export class KubeadmResource<I extends NodeInputs, O extends I> extends SourceProvidedResource {
  constructor(
    kind: KubeadmResourceKind<I, O>,
    name: string,
    args: KubeadmArgs<I>,
    opts: pulumi.CustomResourceOptions | undefined,
  ) {
    const outputs = Object.fromEntries(kind.outputs.map((output) => [output, undefined]));
    super(
      kind.stored,
      name,
      { ...args, ...outputs },
      pulumi.mergeOptions(opts, { additionalSecretOutputs: [...kind.secretOutputs] }),
      "pulumi-kubeadm",
      kind.type,
    );
  }
}
