// Whether a step changes: what it did on the host, what the state must keep for delete and refresh, or drift that
// the last refresh found. A step is never replaced: an update runs it again where that is needed.
import type * as pulumi from "@pulumi/pulumi";
import { sameData } from "../shared/plain-data";
import { hostEffect, whole, type RemoteStepInputs, type RemoteStepOutputs } from "./inputs";

export function remoteStepDiff(olds: RemoteStepOutputs, news: RemoteStepInputs): pulumi.dynamic.DiffResult {
  const effectChanged = hostEffect(olds) !== hostEffect(news);
  // A new key, port or user must be stored (delete needs it), but it is no reason to touch the host.
  const connectionChanged = !sameData(olds.connection, news.connection);
  const storedChanged =
    whole(olds.prelude, olds.undoScript) !== whole(news.prelude, news.undoScript) ||
    whole(olds.prelude, olds.checkScript ?? "") !== whole(news.prelude, news.checkScript ?? "");
  const drifted = (olds.drift?.length ?? 0) > 0;
  return { changes: effectChanged || connectionChanged || storedChanged || drifted, replaces: [] };
}
