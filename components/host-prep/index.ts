// HostPrep: everything a host needs before kubeadm can run on it (the seed's section 2.1), as a chain of
// command:remote:Command resources, one per step, each running its step's script on create and update. Hosts are
// prepared in parallel: each host's chain depends on nothing but its own resources.
//
// A step's command holds everything that decides what it does (script, environment, files, and the digest of the
// helpers it sources), so a change to any of them is a new command, which `up` runs as an update of that step alone;
// the scripts are idempotent.
//
// Before the steps, a PreparedHost resource per host (providers/prepared-host) logs in with this project's SSH layer
// (host-key and timeout errors that name the config key) and writes the helpers the steps' scripts share to the host
// once, rather than in each command line, and it holds what the command provider cannot do well:
// the steps' undo, run at destroy after kubeadm reset with a warning for a host that is gone (a Command's own delete
// blocks the destroy then: pulumi-command#104), and refresh's check of each step: the next `up` updates the
// PreparedHost, which runs exactly the steps a refresh found changed, with the same command lines as their Commands.
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import type { ClusterSpec, NodeSpec } from "../../config/spec";
import {
  PreparedHost,
  stepCommand,
  type PreparedHostInputs,
  type PreparedStep,
  type StepRunSettings,
} from "../../providers/prepared-host";
import { commandConnection } from "./command-connection";
import { hostPrepSteps, prelude, type HostPrepStep } from "./steps";

export interface HostPrepArgs {
  spec: ClusterSpec;
  node: NodeSpec;
}

/** A script's own text after the prelude it starts with. */
function withoutPrelude(helpers: string, script: string): string {
  if (script === "") return "";
  if (!script.startsWith(`${helpers}\n`)) throw new Error("a HostPrep script does not start with the steps' prelude");
  return script.slice(helpers.length + 1);
}

/** A step as its host's PreparedHost keeps it: its scripts without the prelude, its environment and files. */
export function preparedStep(helpers: string, step: HostPrepStep): PreparedStep {
  return {
    step: step.name,
    environment: step.environment,
    script: withoutPrelude(helpers, step.script),
    files: step.files,
    undoScript: withoutPrelude(helpers, step.undoScript),
    checkScript: withoutPrelude(helpers, step.checkScript),
  };
}

/** What a host's PreparedHost is given for its steps. */
export function preparedHostInputs(
  connection: NodeSpec["connection"],
  node: string,
  steps: HostPrepStep[],
): PreparedHostInputs {
  const helpers = prelude();
  const run: StepRunSettings = { sudo: connection.sudo, timeoutSeconds: connection.commandTimeoutSeconds };
  return { connection, node, prelude: helpers, run, steps: steps.map((step) => preparedStep(helpers, step)) };
}

export class HostPrep extends pulumi.ComponentResource {
  /** The last step: depend on it to run after the host is ready. */
  readonly ready: pulumi.Resource;

  constructor(name: string, args: HostPrepArgs, opts?: pulumi.ComponentResourceOptions) {
    super("pulumi-kubeadm:index:HostPrep", name, {}, opts);
    const { connection } = args.node;
    const inputs = preparedHostInputs(connection, args.node.name, hostPrepSteps(args.spec, args.node));
    const host = new PreparedHost(`${name}-host`, inputs, { parent: this });
    const connectionArgs = pulumi.secret(commandConnection(connection));
    let previous: pulumi.Resource = host;
    for (const step of inputs.steps) {
      previous = new command.remote.Command(
        `${name}-${step.step}`,
        {
          connection: connectionArgs,
          // No `update`: the provider runs `create` again on an update, and the command line, which carries the
          // step's script and files, is stored once instead of twice.
          create: stepCommand(inputs, step),
          // The provider would set PULUMI_COMMAND_STDOUT/STDERR on the session, which a stock sshd refuses with a
          // warning each time (AcceptEnv); no step reads them.
          addPreviousOutputInEnv: false,
          logging: "stdoutAndStderr",
        },
        { parent: this, dependsOn: [previous] },
      );
    }
    this.ready = previous;
    this.registerOutputs({});
  }
}
