// The shell text a host-preparation step's command:remote:Command runs on its host (and a repair runs again): the
// files the step needs written first (each atomically, its mode set before a byte lands), then the step's script
// after the helpers its PreparedHost wrote to the host (helpers.ts), with its environment, as root (`sudo -n` for
// another login user) and under a time limit the host enforces. Its undo is not a command: the PreparedHost runs it.
// Everything that varies is quoted by config/quote.ts's shellQuote, the one quoting function.
//
// The environment travels in the command, not in the provider's `environment` input: that one needs the host's sshd
// to accept the variables (AcceptEnv), which a stock sshd does not.
import { shellQuote } from "../../config/quote";
import { environmentPrefix, uploadScript, wrapCommand, type RemoteFile } from "../../ssh/scripts";
import { sourceHelpers } from "./helpers";
import type { PreparedHostInputs, PreparedStep } from "./inputs";

function fileCommand(file: RemoteFile): string {
  const content = Buffer.from(file.content, "utf8").toString("base64");
  return `printf '%s' ${shellQuote(content)} | base64 -d | sh -c ${shellQuote(uploadScript(file.path, { mode: file.mode }))}`;
}

/** The step's command line. */
export function stepCommand(host: Pick<PreparedHostInputs, "prelude" | "run">, step: PreparedStep): string {
  const environment: Record<string, string> = {
    ...step.environment,
    PULUMI_KUBEADM_STEP: step.step,
  };
  // Only a step with an undo leaves the mark that an older stack's RemoteStep looks for before undoing (lib.sh).
  if (step.undoScript !== "") environment.PULUMI_KUBEADM_COMMAND = "1";
  const script = `${sourceHelpers(host.prelude)}\n${step.script}`;
  const run = `env ${environmentPrefix(environment)} sh -c ${shellQuote(script)}`;
  return wrapCommand([...step.files.map(fileCommand), run].join(" && "), {
    sudo: host.run.sudo,
    timeoutSeconds: host.run.timeoutSeconds,
  });
}
