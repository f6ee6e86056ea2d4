// A host as HostPrep leaves it: how to reach it, what each step's work looks like (for refresh and its repair) and how
// to undo it (for delete). One resource per host, made before the host's steps and deleted after them. The steps
// themselves are command:remote:Command resources (components/host-prep/index.ts); this resource does what their
// provider cannot:
//   - create and a changed connection log in with this project's SSH layer first, so a wrong host key, a silent
//     host or a refused login fails before any step runs, naming the config key to fix; in the same session they
//     write the helpers every step's command sources (helpers.ts), as does an update that brings new helpers;
//   - refresh runs each step's check script (the command provider's refresh does not look at the host) and keeps
//     what it found as drift; the next `up` updates this resource, which runs exactly those steps again. (The steps'
//     Commands do not read this resource's outputs: an update of it, e.g. a new Kubernetes version in the steps'
//     environment, would make every step's command unknown in the preview, and the plan would show all of them.)
//   - delete runs the steps' undo scripts, last first, after everything that depends on the host (kubeadm reset) is
//     gone, and a host that cannot be reached gives a warning rather than a blocked destroy, which a Command's own
//     delete cannot (pulumi-command#104); an update undoes a step the program no longer has.
// The undo and check scripts are stored here, so destroy runs those that went with what ran.
import * as pulumi from "@pulumi/pulumi";
import type { RemoteSession } from "../../ssh";
import { withSession } from "../../ssh/session";
import { sameData } from "../shared/plain-data";
import { SourceProvidedResource, SourceProvider } from "../shared/provider-from-source";
import { helpersPath, removeOtherHelpersScript } from "./helpers";
import type { PreparedHostInputs, PreparedHostOutputs, PreparedStep } from "./inputs";
import { readPreparedHost } from "./read";
import { driftedSteps, repairSteps } from "./repair";
import { undoSteps } from "./undo";

export type { PreparedHostInputs, PreparedHostOutputs, PreparedStep, StepRunSettings } from "./inputs";
export { stepCommand } from "./step-command";

/** The inputs stored, with nothing found changed: create's, and an update's once it ran the changed steps again. */
function stored(news: PreparedHostInputs): PreparedHostOutputs {
  return { ...news, helpers: helpersPath(news.prelude), drift: {} };
}

/** Writes the helpers the steps' commands source, then takes away older ones this product wrote. */
async function writeHelpers(session: RemoteSession, prelude: string): Promise<void> {
  const path = helpersPath(prelude);
  await session.upload(path, prelude, { mode: 0o644 });
  await session.run(removeOtherHelpersScript(path), { summary: "removing older helpers" });
}

function loginAndWriteHelpers(host: PreparedHostInputs): Promise<void> {
  return withSession(host.connection, (session) => writeHelpers(session, host.prelude), { label: host.node });
}

/**
 * The inputs alone: the outputs add what refresh found, and both carry the engine's `__provider` (the stored module
 * text), which is not the program's to compare.
 */
function inputsOf({ connection, node, prelude, run, steps }: PreparedHostInputs): PreparedHostInputs {
  return { connection, node, prelude, run, steps };
}

export const preparedHostProvider: pulumi.dynamic.ResourceProvider<PreparedHostInputs, PreparedHostOutputs> = {
  async diff(_id: string, olds: PreparedHostOutputs, news: PreparedHostInputs) {
    // Drift a refresh found is a change: the update runs those steps again.
    const drifted = driftedSteps(news, olds.drift).length > 0;
    // Helpers a refresh found missing (or that a release before them never wrote) are written again.
    const helpersMissing = olds.helpers !== helpersPath(news.prelude);
    return { changes: drifted || helpersMissing || !sameData(inputsOf(olds), inputsOf(news)), replaces: [] };
  },
  async create(inputs: PreparedHostInputs) {
    await loginAndWriteHelpers(inputs);
    return { id: `${inputs.node}/prepared-host`, outs: stored(inputs) };
  },
  async update(_id: string, olds: PreparedHostOutputs, news: PreparedHostInputs) {
    // A changed connection is proven before it is stored: an update that does no remote work would otherwise keep
    // a wrong pinned key, user or port as if it worked, and every later delete would fail on it.
    if (olds.helpers !== helpersPath(news.prelude) || !sameData(olds.connection, news.connection)) {
      await loginAndWriteHelpers(news);
    }
    const kept = new Set(news.steps.map((step) => step.step));
    await undoSteps(
      news,
      olds.steps.filter((step: PreparedStep) => !kept.has(step.step)),
    );
    await repairSteps(news, driftedSteps(news, olds.drift));
    return { outs: stored(news) };
  },
  async read(id: string, props?: PreparedHostOutputs) {
    return readPreparedHost(id, props);
  },
  async delete(_id: string, olds: PreparedHostOutputs) {
    await undoSteps(olds, olds.steps, olds.helpers ?? "");
  },
};

export const preparedHostProviderStored = new SourceProvider(
  "providers/prepared-host",
  "preparedHostProvider",
  preparedHostProvider,
);

export class PreparedHost extends SourceProvidedResource {
  declare readonly drift: pulumi.Output<Record<string, string[]>>;

  constructor(name: string, args: PreparedHostInputs, opts?: pulumi.CustomResourceOptions) {
    super(
      preparedHostProviderStored,
      name,
      // The connection carries keys: a secret from config to state.
      { ...args, connection: pulumi.secret(args.connection), drift: undefined },
      opts,
      "pulumi-kubeadm",
      "PreparedHost",
    );
  }
}
