// A host as HostPrep leaves it: how to reach it, what each step's work looks like (for refresh) and how to undo it
// (for delete). One resource per host, made before the host's steps and deleted after them. The steps themselves are
// command:remote:Command resources (components/host-prep/index.ts); this resource does what their provider cannot:
//   - create and a changed connection log in with this project's SSH layer first, so a wrong host key, a silent
//     host or a refused login fails before any step runs, naming the config key to fix;
//   - refresh runs each step's check script (the command provider's refresh does not look at the host) and counts,
//     per step, the refreshes that found its work changed; the count is part of the step's command, so the next `up`
//     runs exactly those steps again;
//   - delete runs the steps' undo scripts, last first, after everything that depends on the host (kubeadm reset) is
//     gone, and a host that cannot be reached gives a warning rather than a blocked destroy, which a Command's own
//     delete cannot (pulumi-command#104); an update undoes a step the program no longer has.
// The undo and check scripts are stored here, so destroy runs those that went with what ran.
import * as pulumi from "@pulumi/pulumi";
import { withSession } from "../../ssh/session";
import { sameData } from "../shared/plain-data";
import { SourceProvidedResource, SourceProvider } from "../shared/provider-from-source";
import { proveConnection } from "../shared/step-reporter";
import type { PreparedHostInputs, PreparedHostOutputs, PreparedStep } from "./inputs";
import { readPreparedHost } from "./read";
import { undoSteps } from "./undo";

export type { PreparedHostInputs, PreparedHostOutputs, PreparedStep } from "./inputs";

/** The inputs stored, and what refresh found kept: a change of the scripts or the connection does not undo a repair. */
function stored(news: PreparedHostInputs, olds?: PreparedHostOutputs): PreparedHostOutputs {
  return { ...news, drift: olds?.drift ?? {}, repairs: olds?.repairs ?? {} };
}

export const preparedHostProvider: pulumi.dynamic.ResourceProvider<PreparedHostInputs, PreparedHostOutputs> = {
  async diff(_id: string, olds: PreparedHostOutputs, news: PreparedHostInputs) {
    const oldInputs: PreparedHostInputs = {
      connection: olds.connection,
      node: olds.node,
      prelude: olds.prelude,
      steps: olds.steps,
    };
    return { changes: !sameData(oldInputs, news), replaces: [] };
  },
  async create(inputs: PreparedHostInputs) {
    await withSession(inputs.connection, (session) => session.run("true", { summary: "connection check" }), {
      label: inputs.node,
    });
    return { id: `${inputs.node}/prepared-host`, outs: stored(inputs) };
  },
  async update(_id: string, olds: PreparedHostOutputs, news: PreparedHostInputs) {
    await proveConnection(withSession, olds.connection, news.connection, news.node);
    const kept = new Set(news.steps.map((step) => step.step));
    await undoSteps(
      news,
      olds.steps.filter((step: PreparedStep) => !kept.has(step.step)),
    );
    return { outs: stored(news, olds) };
  },
  async read(id: string, props?: PreparedHostOutputs) {
    return readPreparedHost(id, props);
  },
  async delete(_id: string, olds: PreparedHostOutputs) {
    await undoSteps(olds, olds.steps);
  },
};

export const preparedHostProviderStored = new SourceProvider(
  "providers/prepared-host",
  "preparedHostProvider",
  preparedHostProvider,
);

export class PreparedHost extends SourceProvidedResource {
  declare readonly drift: pulumi.Output<Record<string, string[]>>;
  declare readonly repairs: pulumi.Output<Record<string, number>>;

  constructor(name: string, args: PreparedHostInputs, opts?: pulumi.CustomResourceOptions) {
    super(
      preparedHostProviderStored,
      name,
      // The connection carries keys: a secret from config to state.
      { ...args, connection: pulumi.secret(args.connection), drift: undefined, repairs: undefined },
      opts,
      "pulumi-kubeadm",
      "PreparedHost",
    );
  }
}
