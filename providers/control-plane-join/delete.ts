// Removing a control-plane node (not the first one, which `kubeadm init` created).
//
//   1. The node is looked at (joined, already reset, another cluster's, or unreachable).
//   2. On another control-plane node that answers: the quorum check. The node's etcd member goes with it, and
//      the members left must still have a majority that answers (providers/node/etcd-quorum.ts); otherwise the
//      removal is refused before anything is touched, with what to do instead.
//   3. Drain (a failed drain stops the removal and uncordons the node, unless drain.force).
//   4. The node is reset: `kubeadm reset -f` removes its etcd member (its remove-etcd-member phase, through the
//      API) and its files, then the CNI/iptables cleanup. kubeadm only warns when the member could not be
//      removed; that warning becomes a warning here with the etcdctl command to finish the job.
//   5. `kubectl delete node` on the other control-plane node.
// A node that is unreachable cannot run kubeadm reset: its member stays in etcd, which the warning says.
import { describeTarget, SecretMasker } from "../../ssh";
import { onAnsweringControlPlane } from "../node/answering-control-plane";
import type { KubeadmControlPlaneJoinOutputs } from "./inputs";
import { quorumAfterRemoval, quorumRefusal, readControlPlaneMembers } from "../node/etcd-quorum";
import { removalCondition } from "../node/joined-node";
import { kubectl, nodeStatus, retrying } from "../node/kubectl";
import { drainNode } from "../node/drain";
import { resetNode } from "../node/reset";
import { KubeadmStepError } from "../shared/step-errors";
import { connectionSecrets, StepReporter, unlessUnreachable, warn, type SessionOpener } from "../shared/step-reporter";

/** What kubeadm reset prints (a klog warning) when its remove-etcd-member phase failed. */
export const ETCD_MEMBER_NOT_REMOVED = /Failed to remove etcd member[^\n]*/;

/** How to finish by hand what could not be done: remove the member with etcdctl from the etcd Pod. */
export function manualMemberRemoval(node: string, helper: string): string {
  return (
    `remove ${node}'s etcd member by hand: on ${helper}, find its ID with \`kubectl -n kube-system exec ` +
    `etcd-${helper} -- etcdctl --endpoints https://127.0.0.1:2379 --cacert /etc/kubernetes/pki/etcd/ca.crt ` +
    "--cert /etc/kubernetes/pki/etcd/server.crt --key /etc/kubernetes/pki/etcd/server.key member list`, then " +
    "run the same with `member remove <ID>`; until then etcd counts the dead member against its quorum"
  );
}

export function deleteControlPlaneJoin(props: KubeadmControlPlaneJoinOutputs, open: SessionOpener): Promise<void> {
  const reporter = new StepReporter(props.node.name);
  return reporter.run(() => deleteSteps(props, open, reporter));
}

async function deleteSteps(
  props: KubeadmControlPlaneJoinOutputs,
  open: SessionOpener,
  reporter: StepReporter,
): Promise<void> {
  const name = props.node.name;
  const masker = new SecretMasker([
    ...connectionSecrets(props.connection),
    ...props.controlPlanes.flatMap((cp) => connectionSecrets(cp.connection)),
  ]);
  const sessionOptions = { label: name, onOutput: reporter.onOutput };

  // 1. The node as it is now.
  reporter.begin("delete", `removing control-plane node ${describeTarget(props.connection)} from the cluster`);
  const condition = await removalCondition(
    props.connection,
    props.caCertHash,
    open,
    reporter,
    "The node is gone: it cannot be drained or reset.",
  );
  if (condition === "foreign") {
    warn(name, "the node now belongs to another cluster (its ca.crt is not this cluster's CA): it is not reset");
  }

  await onAnsweringControlPlane(
    { node: name, candidates: props.controlPlanes, purpose: "quorum check, drain and Node removal" },
    open,
    reporter,
    async (cp, helper) => {
      // 2. Refuse what would take the control plane down, before touching anything.
      reporter.begin("quorum", `checking the etcd members that would be left, on ${helper.name}`);
      const members = await readControlPlaneMembers(cp);
      if (members.some((m) => m.name === name)) {
        const verdict = quorumAfterRemoval(members, name);
        if (!verdict.allowed) throw new KubeadmStepError(cp.target, "quorum", quorumRefusal(name, verdict));
        reporter.begin(
          "quorum",
          `ok: ${verdict.answering.length} of the ${verdict.remaining.length} remaining members answer ` +
            `(${verdict.needed} needed)`,
        );
      } else {
        warn(name, `Node ${name} is not a control-plane Node of the cluster any more: nothing to drain`);
      }

      // 3. Drain.
      const present = (await nodeStatus(cp, name)).kind === "present";
      if (present && condition === "joined") {
        await drainNode(cp, name, props.cluster.drain, {
          on: helper.name,
          reporter,
          masker,
          failed: `drain of control-plane node ${name} failed on ${cp.target}`,
          subject: "The node",
        });
      }

      // 4. Reset: kubeadm reset removes the etcd member.
      if (condition === "joined" || condition === "reset") {
        const reset = await unlessUnreachable(
          reporter,
          `The node could not be reset; ${manualMemberRemoval(name, helper.name)}.`,
          () =>
            open(
              props.connection,
              (session) =>
                resetNode(
                  session,
                  props.resetScript,
                  reporter,
                  "kubeadm reset -f (removes its etcd member) and cleanup",
                ),
              sessionOptions,
            ),
        );
        const failure = reset && ETCD_MEMBER_NOT_REMOVED.exec(`${reset.stdout}\n${reset.stderr}`);
        if (failure) {
          warn(name, `kubeadm reset said: ${failure[0].trim()}. ${manualMemberRemoval(name, helper.name)}.`);
        }
      } else if (condition === "unreachable" && members.some((m) => m.name === name)) {
        warn(name, `the node could not be reset; ${manualMemberRemoval(name, helper.name)}.`);
      }

      // 5. The Node object.
      if (present) {
        reporter.begin("delete node", `on ${helper.name}`);
        // Retried: through the endpoint, a request can still land on the API server that just stopped.
        await cp.run(retrying(kubectl(["delete", "node", name, "--ignore-not-found"]), 10, 2), {
          summary: `kubectl delete node ${name}`,
        });
      }
    },
  );
  reporter.done("delete finished");
}
