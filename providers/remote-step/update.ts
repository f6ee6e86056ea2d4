// A step runs again when what it does on the host changed or the last refresh found the host drifted; a change of
// the connection or of the stored scripts only needs storing, once the new connection is proven to work.
import { withSession } from "../../ssh/session";
import { proveConnection } from "../shared/step-reporter";
import { hostEffect, storedOutputs, whole, type RemoteStepInputs, type RemoteStepOutputs } from "./inputs";
import { runStep } from "./run-step";

export async function updateRemoteStep(
  olds: RemoteStepOutputs,
  news: RemoteStepInputs,
): Promise<{ outs: RemoteStepOutputs }> {
  const script = whole(news.prelude, news.script);
  if (hostEffect(olds) !== hostEffect(news)) {
    await runStep(news, script, "inputs changed, running again", "ran again");
  } else if (olds.drift?.length) {
    await runStep(news, script, `changed on the host (${olds.drift.join("; ")}), running again`, "ran again");
  } else {
    await proveConnection(withSession, olds.connection, news.connection, news.node);
  }
  return { outs: storedOutputs(news) };
}
