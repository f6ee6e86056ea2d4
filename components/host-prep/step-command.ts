// The shell text a host-preparation step's command:remote:Command runs on its host: the files the step needs written
// first (each atomically, its mode set before a byte lands), then the step's script with its environment, as root
// (`sudo -n` for another login user) and under a time limit the host enforces. (Its undo is not a command: the host's
// PreparedHost runs it, providers/prepared-host.) Everything that varies is quoted by config/quote.ts's shellQuote,
// the one quoting function.
//
// The environment travels in the command, not in the provider's `environment` input: that one needs the host's sshd
// to accept the variables (AcceptEnv), which a stock sshd does not.
import { shellQuote } from "../../config/quote";
import { environmentPrefix, uploadScript, wrapCommand } from "../../ssh/scripts";
import type { HostPrepStep, RemoteFile } from "./steps";

export interface StepRunSettings {
  /** Run as root through `sudo -n` (a login user other than root). */
  sudo: boolean;
  /** The longest a script may run; the host's `timeout` stops it and its children then. */
  timeoutSeconds: number;
}

function fileCommand(file: RemoteFile): string {
  const content = Buffer.from(file.content, "utf8").toString("base64");
  return `printf '%s' ${shellQuote(content)} | base64 -d | sh -c ${shellQuote(uploadScript(file.path, { mode: file.mode }))}`;
}

/** The step's script as one command line. */
export function stepCommand(step: HostPrepStep, settings: StepRunSettings): string {
  const environment: Record<string, string> = {
    ...step.environment,
    PULUMI_KUBEADM_STEP: step.name,
  };
  // Only a step with an undo leaves the mark that an older stack's RemoteStep looks for before undoing (lib.sh).
  if (step.undoScript !== "") environment.PULUMI_KUBEADM_COMMAND = "1";
  const run = `env ${environmentPrefix(environment)} sh -c ${shellQuote(step.script)}`;
  return wrapCommand([...step.files.map(fileCommand), run].join(" && "), {
    sudo: settings.sudo,
    timeoutSeconds: settings.timeoutSeconds,
  });
}
