// A step's first run: its script on the host, and a digest of what ran in the state.
import { storedOutputs, whole, type RemoteStepInputs, type RemoteStepOutputs } from "./inputs";
import { runStep } from "./run-step";

export async function createRemoteStep(inputs: RemoteStepInputs): Promise<{ id: string; outs: RemoteStepOutputs }> {
  await runStep(inputs, whole(inputs.prelude, inputs.script), undefined, "done");
  return { id: `${inputs.node}/${inputs.step}`, outs: storedOutputs(inputs) };
}
