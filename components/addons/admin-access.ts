// A cluster-admin ServiceAccount with a long-lived token, so a user can log in to the web UI: since
// Kubernetes 1.24 a ServiceAccount gets no token Secret of its own, so one is created that the token
// controller fills in.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { applyObjects, type ApplyOptions } from "./apply";
import type { KubeObject } from "./manifest";

export const SERVICE_ACCOUNT_TOKEN_TYPE = "kubernetes.io/service-account-token";
export const SERVICE_ACCOUNT_NAME_ANNOTATION = "kubernetes.io/service-account.name";

export interface AdminAccount {
  namespace: string;
  serviceAccount: string;
}

/** The long-lived token Secret of an account, for UIs whose manifest does not bring one. */
export function tokenSecretObject(account: AdminAccount, name: string): KubeObject {
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: {
      name,
      namespace: account.namespace,
      annotations: { [SERVICE_ACCOUNT_NAME_ANNOTATION]: account.serviceAccount },
    },
    type: SERVICE_ACCOUNT_TOKEN_TYPE,
  };
}

export function isTokenSecretOf(object: KubeObject, account: AdminAccount): boolean {
  const annotations = (object.metadata.annotations ?? {}) as Record<string, string>;
  return (
    object.kind === "Secret" &&
    object.type === SERVICE_ACCOUNT_TOKEN_TYPE &&
    object.metadata.namespace === account.namespace &&
    annotations[SERVICE_ACCOUNT_NAME_ANNOTATION] === account.serviceAccount
  );
}

function identityObjects(account: AdminAccount): KubeObject[] {
  const { namespace, serviceAccount } = account;
  return [
    { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: serviceAccount, namespace } },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRoleBinding",
      metadata: { name: serviceAccount },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "cluster-admin" },
      subjects: [{ kind: "ServiceAccount", name: serviceAccount, namespace }],
    },
  ];
}

/**
 * The token the controller wrote into the Secret, decoded, as a secret output.
 * The read's id is the created Secret's id, not a name known in advance: a Secret still to be created has an
 * unknown id in a preview, and the engine skips reads with unknown ids, so a preview never looks for a Secret
 * (or a cluster) that does not exist yet; in an update the id resolves only once the Secret exists.
 */
export function serviceAccountToken(
  name: string,
  secret: pulumi.CustomResource,
  opts: { parent: pulumi.Resource; provider: pulumi.ProviderResource },
): pulumi.Output<string | undefined> {
  const live = k8s.core.v1.Secret.get(name, secret.id, {
    parent: opts.parent,
    provider: opts.provider,
    dependsOn: [secret],
  });
  return pulumi.secret(
    live.data.apply((data) => (data?.token ? Buffer.from(data.token, "base64").toString("utf8") : undefined)),
  );
}

/**
 * Creates the account, its cluster-admin binding and its token Secret (after the account: the token controller
 * fills the Secret only for an account that exists), and returns the token.
 */
export function adminAccess(
  prefix: string,
  account: AdminAccount,
  tokenSecret: KubeObject,
  options: ApplyOptions,
): pulumi.Output<string | undefined> {
  if (!isTokenSecretOf(tokenSecret, account)) {
    throw new Error(`Secret ${tokenSecret.metadata.name} is not a token Secret of ${account.serviceAccount}`);
  }
  const identity = applyObjects(prefix, identityObjects(account), options);
  const secret = applyObjects(prefix, [tokenSecret], {
    ...options,
    dependsOn: [...(options.dependsOn ?? []), ...identity.all],
  }).find("Secret", tokenSecret.metadata.name, account.namespace);
  return serviceAccountToken(`${prefix}-token-read`, secret, options);
}
