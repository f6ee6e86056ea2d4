// Bootstrap tokens minted on the control plane for one join each. A token minted right before the join cannot
// have expired, however long after `kubeadm init` the worker is added, and a short TTL (cluster.joinTokenTtl)
// limits what a leaked one is worth; it is deleted as soon as the join is over.
import { isBootstrapToken, tokenId } from "../../kubeadm/token";
import { shellCommand, type RemoteSession } from "../../ssh";

/** Mints a token on the control plane and returns it. Its value is never streamed or logged. */
export async function createBootstrapToken(session: RemoteSession, ttl: string, description: string): Promise<string> {
  const result = await session.run(
    shellCommand(["kubeadm", "token", "create", "--ttl", ttl, "--description", description]),
    { streamOutput: false, summary: `kubeadm token create --ttl ${ttl}` },
  );
  const token = result.stdout
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "")
    .pop();
  if (token === undefined || !isBootstrapToken(token)) {
    throw new Error(`kubeadm token create on ${session.target} printed no bootstrap token`);
  }
  return token;
}

/** Deletes the token by its public id (the secret half never goes on a command line). */
export async function deleteBootstrapToken(session: RemoteSession, token: string): Promise<void> {
  const id = tokenId(token);
  await session.run(shellCommand(["kubeadm", "token", "delete", id]), {
    streamOutput: false,
    summary: `kubeadm token delete ${id}`,
  });
}
