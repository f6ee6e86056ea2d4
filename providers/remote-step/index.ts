// One idempotent step on one host: upload files, run a script from the repository, and on delete run its
// undo script. HostPrep is a chain of these, one per step, so a change to one step's script or inputs
// re-runs that step alone. (@pulumi/command's remote.Command does this job in most Pulumi programs; its
// plugin cannot be built here, and this keeps one SSH layer with host-key checks and masking for all.)
//
// The scripts travel as inputs and are stored in state, so `pulumi destroy` runs the undo script that was
// current when the step last ran, even after the repository moved on.
import * as pulumi from "@pulumi/pulumi";
import type { Connection } from "../../config/spec";
import { SourceProvidedResource, SourceProvider } from "../shared/provider-from-source";
import { createRemoteStep } from "./create";
import { deleteRemoteStep } from "./delete";
import { remoteStepDiff } from "./diff";
import type { RemoteFile, RemoteStepInputs, RemoteStepOutputs } from "./inputs";
import { readRemoteStep } from "./read";
import { updateRemoteStep } from "./update";

/** What HostPrep builds a step from, and the environment as the scripts see it. */
export { environmentPrefix, type RemoteFile, type RemoteStepInputs, type RemoteStepOutputs } from "./inputs";

export const remoteStepProvider: pulumi.dynamic.ResourceProvider<RemoteStepInputs, RemoteStepOutputs> = {
  async diff(_id: string, olds: RemoteStepOutputs, news: RemoteStepInputs) {
    return remoteStepDiff(olds, news);
  },
  async create(inputs: RemoteStepInputs) {
    return createRemoteStep(inputs);
  },
  async update(_id: string, olds: RemoteStepOutputs, news: RemoteStepInputs) {
    return updateRemoteStep(olds, news);
  },
  async read(id: string, props?: RemoteStepOutputs) {
    return readRemoteStep(id, props);
  },
  async delete(_id: string, olds: RemoteStepOutputs) {
    await deleteRemoteStep(olds);
  },
};

export interface RemoteStepArgs {
  connection: pulumi.Input<Connection>;
  node: string;
  step: string;
  script: string;
  environment?: Record<string, pulumi.Input<string>>;
  files?: pulumi.Input<RemoteFile>[];
  undoScript?: string;
  checkScript?: string;
  /** Text the scripts above start with (followed by a newline), stored once for the three. */
  prelude?: string;
}

/** What each resource stores: module text that loads remoteStepProvider from the source. */
export const remoteStepProviderStored = new SourceProvider(
  "providers/remote-step",
  "remoteStepProvider",
  remoteStepProvider,
);

/** A script's own text after the prelude; a script that does not start with it is refused (it would lose text). */
function withoutPrelude(prelude: string | undefined, script: string): string {
  if (!prelude || script === "") return script;
  if (!script.startsWith(`${prelude}\n`)) throw new Error("a RemoteStep script does not start with the step's prelude");
  return script.slice(prelude.length + 1);
}

export class RemoteStep extends SourceProvidedResource {
  declare readonly node: pulumi.Output<string>;
  declare readonly step: pulumi.Output<string>;

  constructor(name: string, args: RemoteStepArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      remoteStepProviderStored,
      name,
      {
        // The connection carries keys: a secret from config to state.
        connection: pulumi.secret(args.connection),
        node: args.node,
        step: args.step,
        script: withoutPrelude(args.prelude, args.script),
        environment: args.environment ?? {},
        files: args.files ?? [],
        undoScript: withoutPrelude(args.prelude, args.undoScript ?? ""),
        checkScript: withoutPrelude(args.prelude, args.checkScript ?? ""),
        prelude: args.prelude ?? "",
      },
      // The old and the new step are the same host: creating the new one first would have the old one's undo
      // remove what it just wrote (`pulumi up --replace` of a step left the host without its repository file).
      { ...opts, deleteBeforeReplace: true },
      "pulumi-kubeadm",
      "RemoteStep",
    );
  }
}
