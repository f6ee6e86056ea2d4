// One idempotent step on one host: upload files, run a script from the repository, and on delete run its
// undo script. HostPrep is a chain of these, one per step, so a change to one step's script or inputs
// re-runs that step alone. (@pulumi/command's remote.Command does this job in most Pulumi programs; its
// plugin cannot be built here, and this keeps one SSH layer with host-key checks and masking for all.)
//
// The scripts travel as inputs and are stored in state, so `pulumi destroy` runs the undo script that was
// current when the step last ran, even after the repository moved on.
import * as pulumi from "@pulumi/pulumi";
import type { Connection } from "../../config/spec";
import { withSession } from "../../ssh/session";
import { flushLog } from "../shared/engine-log";
import { announce, formatDuration, progress, summary, warning } from "../shared/progress";
import { sameData } from "../shared/plain-data";
import { isUnreachable, proveConnection } from "../shared/step-reporter";
import { SourceProvidedResource, SourceProvider } from "../shared/provider-from-source";
import {
  hostEffect,
  stepEnvironment,
  storedOutputs,
  whole,
  type RemoteFile,
  type RemoteStepInputs,
  type RemoteStepOutputs,
} from "./inputs";

/** What HostPrep builds a step from, and the environment as the scripts see it. */
export { environmentPrefix, type RemoteFile, type RemoteStepInputs, type RemoteStepOutputs } from "./inputs";

/**
 * Runs the script; the step leaves one line that stays, e.g. `[master01] packages: done in 12s`. A first run is not
 * announced (the step's own resource row already says it is creating); a re-run or an undo is, since the row of
 * an update or a delete does not say which.
 */
async function runStep(
  inputs: Pick<RemoteStepInputs, "connection" | "node" | "step" | "environment" | "files">,
  script: string,
  what: string | undefined,
  done: string,
): Promise<void> {
  const started = Date.now();
  if (what) announce(inputs.node, inputs.step, what);
  try {
    await withSession(
      inputs.connection,
      async (session) => {
        for (const file of inputs.files) {
          await session.upload(file.path, file.content, { mode: file.mode });
        }
        await session.run(`env ${stepEnvironment(inputs)} sh -s`, {
          stdin: script,
          summary: `${inputs.step} (script)`,
        });
      },
      { label: inputs.node, onOutput: progress(inputs.node, inputs.step) },
    );
    summary(inputs.node, inputs.step, `${done} in ${formatDuration(Date.now() - started)}`);
  } catch (error) {
    summary(inputs.node, inputs.step, `failed after ${formatDuration(Date.now() - started)}`);
    throw error;
  } finally {
    // Every line reaches the engine before it hears how the step ended.
    await flushLog();
  }
}

export const remoteStepProvider: pulumi.dynamic.ResourceProvider<RemoteStepInputs, RemoteStepOutputs> = {
  async diff(_id: string, olds: RemoteStepOutputs, news: RemoteStepInputs) {
    const effectChanged = hostEffect(olds) !== hostEffect(news);
    // A new key, port or user must be stored (delete needs it), but it is no reason to touch the host.
    const connectionChanged = !sameData(olds.connection, news.connection);
    const storedChanged =
      whole(olds.prelude, olds.undoScript) !== whole(news.prelude, news.undoScript) ||
      whole(olds.prelude, olds.checkScript ?? "") !== whole(news.prelude, news.checkScript ?? "");
    const drifted = (olds.drift?.length ?? 0) > 0;
    return { changes: effectChanged || connectionChanged || storedChanged || drifted, replaces: [] };
  },

  async create(inputs: RemoteStepInputs) {
    await runStep(inputs, whole(inputs.prelude, inputs.script), undefined, "done");
    return { id: `${inputs.node}/${inputs.step}`, outs: storedOutputs(inputs) };
  },

  async update(_id: string, olds: RemoteStepOutputs, news: RemoteStepInputs) {
    const script = whole(news.prelude, news.script);
    if (hostEffect(olds) !== hostEffect(news)) {
      await runStep(news, script, "inputs changed, running again", "ran again");
    } else if (olds.drift?.length) {
      await runStep(news, script, `changed on the host (${olds.drift.join("; ")}), running again`, "ran again");
    } else {
      await proveConnection(withSession, olds.connection, news.connection, news.node);
    }
    return { outs: storedOutputs(news) };
  },

  /**
   * Refresh: runs the step's check on the host and records what drifted, so that the next `up` shows an update and
   * runs the step again. A host that cannot be reached keeps what the state says, with a warning.
   */
  async read(id: string, props?: RemoteStepOutputs) {
    if (!props?.checkScript) return { id, props };
    const stored: RemoteStepOutputs = { ...props };
    delete stored.drift;
    let output: string;
    try {
      output = await withSession(
        props.connection,
        async (session) =>
          (
            await session.run(`env ${stepEnvironment(props)} sh -s`, {
              stdin: whole(props.prelude, props.checkScript ?? ""),
              summary: `${props.step} (check)`,
              streamOutput: false,
            })
          ).stdout,
        { label: props.node },
      );
    } catch (error) {
      if (!isUnreachable(error)) throw error;
      warning(props.node, `${props.step}: host unreachable, not checked: ${error.message}`);
      await flushLog();
      return { id, props };
    }
    const drift = output.split("\n").filter((line) => line.trim() !== "");
    if (drift.length > 0) warning(props.node, `${props.step}: changed on the host: ${drift.join("; ")}`);
    await flushLog();
    return { id, props: drift.length > 0 ? { ...stored, drift } : stored };
  },

  async delete(_id: string, olds: RemoteStepOutputs) {
    if (olds.undoScript === "") return;
    try {
      await runStep({ ...olds, files: [] }, whole(olds.prelude, olds.undoScript), "undoing", "undone");
    } catch (error) {
      // A host that is gone has nothing left to undo; blocking the destroy of the whole stack on it helps
      // nobody (pulumi-command#104). Any other failure is real and stops the destroy.
      if (isUnreachable(error)) {
        warning(olds.node, `${olds.step}: host unreachable, nothing undone: ${error.message}`);
        await flushLog();
        return;
      }
      throw error;
    }
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
