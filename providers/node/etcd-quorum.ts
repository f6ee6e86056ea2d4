// Whether a control-plane node can leave without taking the cluster down. kubeadm's control-plane nodes each
// run an etcd member (stacked etcd): the node's removal removes its member, and etcd then needs a majority of
// the members that are left. The members are the Nodes with the control-plane role; a member counts as
// healthy when its own API server answers /readyz (the API server's readiness includes its etcd), asked on
// that node's address rather than through the endpoint, which would answer as long as any one does.
import { isIP } from "net";
import { shellCommand, type RemoteSession } from "../../ssh";
import { API_SERVER_BIND_PORT } from "../../kubeadm/init-config";
import { kubectl } from "./kubectl";

export const CONTROL_PLANE_ROLE_LABEL = "node-role.kubernetes.io/control-plane";

export interface ControlPlaneMember {
  name: string;
  /** InternalIP of the Node, where its API server listens. */
  address?: string;
  /** Its API server answered /readyz. */
  answers: boolean;
}

export interface QuorumVerdict {
  allowed: boolean;
  /** Members left after the removal. */
  remaining: string[];
  /** Those of them whose API server answers. */
  answering: string[];
  /** Members etcd needs for a quorum once the node is gone: a majority of `remaining`. */
  needed: number;
}

/** Pure: whether removing `leaving` keeps a quorum of answering members. */
export function quorumAfterRemoval(members: ControlPlaneMember[], leaving: string): QuorumVerdict {
  const rest = members.filter((m) => m.name !== leaving);
  const remaining = rest.map((m) => m.name);
  const answering = rest.filter((m) => m.answers).map((m) => m.name);
  const needed = Math.floor(remaining.length / 2) + 1;
  return { allowed: remaining.length > 0 && answering.length >= needed, remaining, answering, needed };
}

const list = (names: string[]) => (names.length > 0 ? names.join(", ") : "none");

/** The explanation of a refused removal: what would happen, and what to do instead. */
export function quorumRefusal(leaving: string, verdict: QuorumVerdict): string {
  if (verdict.remaining.length === 0) {
    return (
      `refusing to remove control-plane node ${leaving}: it is the cluster's last control-plane node (etcd ` +
      "member), so the cluster would be gone. Nothing was changed. Keep it, or destroy the whole stack."
    );
  }
  const silent = verdict.remaining.filter((name) => !verdict.answering.includes(name));
  return (
    `refusing to remove control-plane node ${leaving}: etcd would be left with ${verdict.remaining.length} ` +
    `member(s) (${list(verdict.remaining)}), of which ${verdict.answering.length} answer ` +
    `(${list(verdict.answering)}); etcd needs ${verdict.needed} for a quorum, so the API server would stop. ` +
    `Nothing was changed. Bring ${list(silent)} back so its API server answers again, or, if it is gone for ` +
    "good, remove that node from controlPlane first (removing an unhealthy member keeps the quorum), then run " +
    "pulumi up again."
  );
}

interface NodeListJson {
  items?: { metadata?: { name?: string }; status?: { addresses?: { type?: string; address?: string }[] } }[];
}

/** The Nodes with the control-plane role, as kubectl lists them (name and InternalIP). */
export function parseControlPlaneNodes(json: string): { name: string; address?: string }[] {
  const list = JSON.parse(json) as NodeListJson;
  return (list.items ?? []).flatMap((item) => {
    const name = item.metadata?.name;
    if (name === undefined) return [];
    const address = item.status?.addresses?.find((a) => a.type === "InternalIP")?.address;
    return [{ name, ...(address !== undefined ? { address } : {}) }];
  });
}

function serverUrl(address: string): string {
  return `https://${isIP(address) === 6 ? `[${address}]` : address}:${API_SERVER_BIND_PORT}`;
}

/** One command that asks each member's own API server for /readyz and prints "ok <name>" or "down <name>". */
export function memberProbeScript(members: { name: string; address?: string }[]): string {
  return members
    .map(({ name, address }) => {
      if (address === undefined) return shellCommand(["echo", "down", name]);
      const probe = kubectl(["--server", serverUrl(address), "get", "--raw=/readyz", "--request-timeout=5s"]);
      return `if ${probe} >/dev/null 2>&1; then ${shellCommand(["echo", "ok", name])}; else ${shellCommand(["echo", "down", name])}; fi`;
    })
    .join("\n");
}

export function parseMemberProbe(output: string): Set<string> {
  return new Set(
    output
      .split("\n")
      .map((line) => /^ok (.+)$/.exec(line.trim())?.[1])
      .filter((name): name is string => name !== undefined),
  );
}

/** The Nodes with the control-plane role (name and InternalIP), asked from a control-plane node's session. */
export async function listControlPlaneNodes(session: RemoteSession): Promise<{ name: string; address?: string }[]> {
  const listed = await session.run(kubectl(["get", "nodes", "-l", CONTROL_PLANE_ROLE_LABEL, "-o", "json"]), {
    streamOutput: false,
    summary: `kubectl get nodes -l ${CONTROL_PLANE_ROLE_LABEL}`,
  });
  try {
    return parseControlPlaneNodes(listed.stdout);
  } catch (error) {
    throw new Error(`kubectl get nodes on ${session.target} printed no node list: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

/** The control-plane members and which of them answer, asked from a control-plane node's session. */
export async function readControlPlaneMembers(session: RemoteSession): Promise<ControlPlaneMember[]> {
  const nodes = await listControlPlaneNodes(session);
  if (nodes.length === 0) return [];
  const probed = await session.run(memberProbeScript(nodes), {
    streamOutput: false,
    allowFailure: true,
    summary: "kubectl get --raw=/readyz on each control-plane node",
  });
  const answering = parseMemberProbe(probed.stdout);
  return nodes.map((node) => ({ ...node, answers: answering.has(node.name) }));
}
