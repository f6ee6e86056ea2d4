// One idempotent step on one host: upload files, run a script from the repository, and on delete run its
// undo script. HostPrep is a chain of these, one per step, so a change to one step's script or inputs
// re-runs that step alone. (@pulumi/command's remote.Command does this job in most Pulumi programs; its
// plugin cannot be built here, and this keeps one SSH layer with host-key checks and masking for all.)
//
// The scripts travel as inputs and are stored in state, so `pulumi destroy` runs the undo script that was
// current when the step last ran, even after the repository moved on.
import { createHash } from "crypto";
import * as pulumi from "@pulumi/pulumi";
import type { Connection } from "../../config/spec";
import { shellQuote } from "../../ssh/quote";
import { withSession } from "../../ssh/session";
import { flushLog } from "../shared/engine-log";
import { announce, formatDuration, progress, summary, warning } from "../shared/progress";
import { sameData } from "../shared/plain-data";
import { isUnreachable, proveConnection } from "../shared/step-reporter";
import { SourceProvidedResource, SourceProvider } from "../shared/provider-from-source";

export interface RemoteFile {
  path: string;
  content: string;
  mode: number;
}

export interface RemoteStepInputs {
  connection: Connection;
  /** Node name, for progress lines and errors. */
  node: string;
  /** Step name, e.g. "install packages". */
  step: string;
  /** POSIX sh script run with `sh -s` (its text on stdin). */
  script: string;
  /** Environment given to both scripts; values are quoted with the project's one quoting function. */
  environment: Record<string, string>;
  /** Files written (atomically, mode set first) before the script runs. */
  files: RemoteFile[];
  /** Run on delete; "" for a step that leaves nothing to undo. */
  undoScript: string;
  /** Run by read (refresh): prints what changed on the host since the step ran, a line each; "" for no check. */
  checkScript?: string;
  /**
   * Shell text every script of the step starts with (the steps' shared helpers), sent once rather than three times:
   * each script above is what follows it. "" when the scripts are whole.
   */
  prelude?: string;
}

/**
 * What the state keeps after a run: how to reach the host, the undo and check scripts that go with what ran, and a
 * digest of what ran (the script, its environment and files) rather than all of it again: a step's outputs are
 * rewritten with every checkpoint of the stack, and the digest is all that diff needs. Outputs written before the
 * digest existed carry `script` and `files` instead; both forms are read.
 */
export interface RemoteStepOutputs {
  connection: Connection;
  node: string;
  step: string;
  environment: Record<string, string>;
  undoScript: string;
  checkScript?: string;
  prelude?: string;
  /** "sha256:<hex>" of what ran (hostEffect): named, so that nothing takes it for a key. */
  effect?: string;
  /** Older outputs only. */
  script?: string;
  files?: RemoteFile[];
  /** What the last refresh found changed on the host; the next `up` runs the step again to put it right. */
  drift?: string[];
}

/** A script as the host runs it: the prelude, then the step's own text ("" stays "": no script). */
function whole(prelude: string | undefined, text: string): string {
  return prelude && text !== "" ? `${prelude}\n${text}` : text;
}

/**
 * The digest of what decides what happens on the host (the connection only says how to get there). The JSON is that
 * of the whole script, environment and files, so outputs stored before the digest existed digest the same.
 */
function hostEffect(state: {
  script?: string;
  prelude?: string;
  environment: Record<string, string>;
  files?: RemoteFile[];
  effect?: string;
}): string {
  if (state.effect !== undefined) return state.effect;
  const effect = {
    script: whole(state.prelude, state.script ?? ""),
    environment: state.environment,
    files: state.files ?? [],
  };
  return `sha256:${createHash("sha256").update(JSON.stringify(effect)).digest("hex")}`;
}

/** What create and update leave in the state. */
function storedOutputs(inputs: RemoteStepInputs): RemoteStepOutputs {
  const { connection, node, step, environment, undoScript, checkScript, prelude } = inputs;
  return { connection, node, step, environment, undoScript, checkScript, prelude, effect: hostEffect(inputs) };
}

export function environmentPrefix(environment: Record<string, string>): string {
  return Object.keys(environment)
    .sort()
    .map((name) => {
      if (!/^[A-Z_][A-Z0-9_]*$/.test(name)) throw new Error(`invalid environment variable name '${name}'`);
      return `${name}=${shellQuote(environment[name])}`;
    })
    .join(" ");
}

/** The step's name as its scripts know it, for the record of what it wrote (lib.sh: written, check_written). */
function stepEnvironment(inputs: Pick<RemoteStepInputs, "environment" | "step">): string {
  return environmentPrefix({ ...inputs.environment, PULUMI_KUBEADM_STEP: inputs.step });
}

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
