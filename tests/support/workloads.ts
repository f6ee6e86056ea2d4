// Test workloads for real nodes: busybox from the lab registry, through the stack's mirror settings.

/** A Deployment of one busybox Pod that may only run on `node`, running `command` (sh -c). */
export function pinnedDeployment(name: string, node: string, command = "exec sleep 3600"): string {
  return JSON.stringify({
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name, labels: { app: name } },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: {
          nodeSelector: { "kubernetes.io/hostname": node },
          terminationGracePeriodSeconds: 1,
          containers: [{ name, image: "busybox:1.35.0", command: ["sh", "-c", command] }],
        },
      },
    },
  });
}
