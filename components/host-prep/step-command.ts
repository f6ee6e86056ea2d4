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
  /** The node's name, for the step's closing line. */
  node: string;
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
  // The step's time, measured on the host, closes its output as the kubeadm steps close theirs (`[cp1] sysctl: done
  // in 0.4s`): the command provider's log of it is in the engine's Diagnostics, where bench/lifecycle.ts reads the
  // hosts' own work. /proc/uptime has hundredths of a second on every Linux; `date +%N` is not in every date.
  const uptime = "cut -d ' ' -f 1 /proc/uptime";
  // Written as formatDuration writes it (providers/shared/progress.ts): 0.4s, 23s, 2m05s.
  const format =
    'BEGIN { d = t1 - t0; if (d < 10) printf "%.1fs", d; else if (d < 60) printf "%ds", d + 0.5; ' +
    'else { w = int(d + 0.5); printf "%dm%02ds", int(w / 60), w % 60 } }';
  const elapsed = `awk -v t0="$t0" -v t1="$(${uptime})" ${shellQuote(format)}`;
  const done = `printf '[%s] %s: done in %s\\n' ${shellQuote(settings.node)} ${shellQuote(step.name)} "$(${elapsed})"`;
  return wrapCommand([`t0=$(${uptime})`, ...step.files.map(fileCommand), run, done].join(" && "), {
    sudo: settings.sudo,
    timeoutSeconds: settings.timeoutSeconds,
  });
}
