// A control plane's certificates as a Pulumi resource: kubeadm issues them for a year, and a cluster whose API
// server certificate expired stops answering. Each control-plane node has one; its outputs say when its
// certificates and the CAs expire.
//
// The decision is made in diff, from the expiry stored at the last create, update or refresh, without logging in:
// a preview or a no-change `up` stays as fast as before, and shows an update once the certificates come within
// `certificates.renewBeforeDays`. Certificates only change through a renewal (this one, `kubeadm upgrade`, or one
// by hand), and `pulumi refresh` reads them again. The update renews them with `kubeadm certs renew all` and
// restarts the components that read them (scripts/renew-certificates.sh). The resources of a cluster's control
// planes are chained, so only one control plane restarts its components at a time.
//
// The first control plane passes its admin kubeconfig through: admin.conf's certificate is renewed with the
// others, so the stack's kubeconfig output and the add-ons' provider take it from here. As an input it is known
// during a preview (Pulumi previews an update's outputs as its inputs), so a planned renewal does not make the
// add-ons' provider unknown, which would show every add-on as replaced. The output of that name is what the host
// has; the input as given is kept beside it (kubeconfigGiven), for diff, which only sees outputs, to compare inputs
// with inputs.
import * as pulumi from "@pulumi/pulumi";
import { readFileSync } from "fs";
import { join } from "path";
import type { Connection } from "../../config/spec";
import {
  CHECK_EXPIRATION_COMMAND,
  daysUntil,
  parseCertificateExpiration,
  renewalDue,
  type CertificateExpiration,
} from "../../kubeadm/certificate-expiration";
import { describeTarget, shellCommand, withSession, type RemoteSession } from "../../ssh";
import { takeEtcdSnapshot, type EtcdSnapshot } from "../node/etcd-snapshot";
import { waitForApiServer } from "../node/kubectl";
import { containsUnknown, sameData, stripUndefined } from "../shared/plain-data";
import { ADMIN_CONF_PATH, readRequiredFile } from "../node/remote-files";
import { KubeadmStepError } from "../shared/step-errors";
import { connectionSecrets, StepReporter, unlessUnreachable, warn, type SessionOpener } from "../shared/step-reporter";
import { stateForRead } from "../shared/kubeadm-resource";
import { SourceProvidedResource, SourceProvider } from "../shared/provider-from-source";

export const RENEW_SCRIPT_FILE = join(__dirname, "..", "scripts", "renew-certificates.sh");
/** How long the API server gets to answer again after its restart. */
const API_SERVER_WAIT_SECONDS = 180;
/** kubeadm's certificates live a year: a CA expiring sooner than that would be outlived by a renewal. */
const CERTIFICATE_LIFETIME_DAYS = 365;

export interface CertificateRenewalInputs {
  connection: Connection;
  node: { name: string };
  renewBeforeDays: number;
  /** The first control plane's admin kubeconfig as its KubeadmInit stores it (secret); absent on the others. */
  kubeconfig?: string;
  /** Snapshots kept when one is taken before a renewal restarts etcd (etcdSnapshots.keep); absent: none is taken. */
  etcdSnapshotsKeep?: number;
}

export interface CertificateRenewalOutputs extends CertificateRenewalInputs {
  /** When the first of the node's certificates expires (ISO 8601), as kubeadm read it. */
  certificatesExpire: string;
  /** The certificate that expires first. */
  firstToExpire: string;
  /** When the first of the cluster's CAs expires; kubeadm cannot renew those. */
  authoritiesExpire: string;
  /** When this resource last renewed the certificates. */
  renewedAt?: string;
  /** The kubeconfig input as last given (the output of that name is the host's admin.conf). */
  kubeconfigGiven?: string;
  /** The etcd snapshot taken before the last renewal. */
  etcdSnapshot?: EtcdSnapshot;
}

export const CERTIFICATE_SECRET_OUTPUTS = ["connection", "kubeconfig", "kubeconfigGiven"];

async function readExpiration(session: RemoteSession): Promise<CertificateExpiration> {
  const result = await session.run(shellCommand(CHECK_EXPIRATION_COMMAND), {
    streamOutput: false,
    summary: CHECK_EXPIRATION_COMMAND.join(" "),
  });
  return parseCertificateExpiration(result.stdout);
}

function dueMessage(expiration: { certificatesExpire: string; firstToExpire: string }, days: number): string {
  const left = daysUntil(expiration.certificatesExpire);
  const when = left < 0 ? `expired ${-left} days ago` : `expires in ${left} days`;
  return (
    `certificates: the first, ${expiration.firstToExpire}, ${when} (${expiration.certificatesExpire.slice(0, 10)}), ` +
    `within certificates.renewBeforeDays (${days})`
  );
}

function warnAboutAuthorities(node: string, authoritiesExpire: string): void {
  const left = daysUntil(authoritiesExpire);
  if (left < CERTIFICATE_LIFETIME_DAYS) {
    warn(
      node,
      `the cluster's CAs expire in ${left} days (${authoritiesExpire.slice(0, 10)}), before the year certificates ` +
        "renewed now would last: kubeadm cannot renew a CA; plan its rotation (Kubernetes' 'Manual rotation of CA " +
        "certificates') before that day",
    );
  }
}

/**
 * Reads the node's certificates, renews them when due (or when `force`), and reads what the node has then. Runs in
 * one SSH session, like every operation of a node.
 */
async function converge(
  inputs: CertificateRenewalInputs,
  open: SessionOpener,
  previous: { renewedAt?: string; etcdSnapshot?: EtcdSnapshot },
): Promise<CertificateRenewalOutputs> {
  const name = inputs.node.name;
  const reporter = new StepReporter(name);
  return reporter.run(async () => {
    reporter.begin("connect", describeTarget(inputs.connection));
    return open(
      inputs.connection,
      async (session) => {
        reporter.begin("certificates", "reading their expiry (kubeadm certs check-expiration)");
        let expiration = await readExpiration(session);
        let renewedAt = previous.renewedAt;
        let etcdSnapshot = previous.etcdSnapshot;
        if (renewalDue(expiration.certificates, inputs.renewBeforeDays)) {
          reporter.begin(
            "renew certificates",
            `${dueMessage({ certificatesExpire: expiration.certificates, firstToExpire: expiration.firstToExpire }, inputs.renewBeforeDays)}: kubeadm certs renew all, then each component restarted`,
          );
          if (inputs.etcdSnapshotsKeep !== undefined) {
            etcdSnapshot = (await takeEtcdSnapshot(session, name, inputs.etcdSnapshotsKeep, reporter)) ?? etcdSnapshot;
            reporter.begin("renew certificates");
          }
          await session.run(readFileSync(RENEW_SCRIPT_FILE, "utf8"), {
            summary: "renew-certificates.sh (kubeadm certs renew all, control-plane containers restarted)",
          });
          if (!(await waitForApiServer(session, API_SERVER_WAIT_SECONDS))) {
            throw new KubeadmStepError(
              session.target,
              "renew certificates",
              `the API server on ${session.target} did not answer within ${API_SERVER_WAIT_SECONDS}s of its restart ` +
                "with the renewed certificates: see 'crictl ps -a --name kube-apiserver' and its logs on the host; " +
                "the next pulumi up reads the certificates again",
            );
          }
          expiration = await readExpiration(session);
          renewedAt = new Date().toISOString();
        }
        warnAboutAuthorities(name, expiration.authorities);
        const kubeconfig =
          inputs.kubeconfig === undefined
            ? undefined
            : await readRequiredFile(session, ADMIN_CONF_PATH, "certificates");
        reporter.done(
          `certificates ${renewedAt !== previous.renewedAt ? "renewed, " : ""}valid until ${expiration.certificates.slice(0, 10)}`,
        );
        return stripUndefined({
          ...inputs,
          kubeconfig,
          kubeconfigGiven: inputs.kubeconfig,
          certificatesExpire: expiration.certificates,
          firstToExpire: expiration.firstToExpire,
          authoritiesExpire: expiration.authorities,
          renewedAt,
          etcdSnapshot,
        });
      },
      {
        label: name,
        secrets: [...connectionSecrets(inputs.connection), ...(inputs.kubeconfig ? [inputs.kubeconfig] : [])],
        onOutput: reporter.onOutput,
      },
    );
  });
}

const INPUT_KEYS = ["connection", "node", "renewBeforeDays"] as const;

export function certificateDiff(
  olds: CertificateRenewalOutputs,
  news: CertificateRenewalInputs,
  now = Date.now(),
): pulumi.dynamic.DiffResult {
  const changedInputs: string[] = INPUT_KEYS.filter((key) => !sameData(olds[key], news[key]));
  if (!sameData(olds.kubeconfigGiven, news.kubeconfig)) changedInputs.push("kubeconfig");
  const days = containsUnknown(news.renewBeforeDays) ? olds.renewBeforeDays : news.renewBeforeDays;
  const due = renewalDue(olds.certificatesExpire, days, now);
  // Shown in the preview, and again while the update runs: with no input changed, the preview's row alone would
  // not say why the resource updates.
  if (due) warn(olds.node.name, `${dueMessage(olds, days)}: this update renews them`);
  return { changes: due || changedInputs.length > 0, replaces: [], deleteBeforeReplace: false };
}

export function readCertificates(
  id: string,
  props: CertificateRenewalOutputs,
  open: SessionOpener,
): Promise<{ id: string; props: CertificateRenewalOutputs }> {
  const name = props.node.name;
  const reporter = new StepReporter(name);
  return reporter.run(async () => {
    reporter.begin("refresh", describeTarget(props.connection));
    const refreshed = await unlessUnreachable(reporter, "Refresh keeps the certificates' recorded expiry.", () =>
      open(
        props.connection,
        async (session) => {
          let expiration: CertificateExpiration;
          try {
            expiration = await readExpiration(session);
          } catch (error) {
            warn(name, `${(error as Error).message.split("\n")[0]}; the certificates' recorded expiry is kept`);
            return { id, props };
          }
          if (renewalDue(expiration.certificates, props.renewBeforeDays)) {
            warn(
              name,
              `${dueMessage({ certificatesExpire: expiration.certificates, firstToExpire: expiration.firstToExpire }, props.renewBeforeDays)}: the next pulumi up renews them`,
            );
          }
          warnAboutAuthorities(name, expiration.authorities);
          const kubeconfig =
            props.kubeconfig === undefined
              ? undefined
              : ((await session.readFile(ADMIN_CONF_PATH)) ?? props.kubeconfig);
          return {
            id,
            props: stripUndefined({
              ...props,
              kubeconfig,
              certificatesExpire: expiration.certificates,
              firstToExpire: expiration.firstToExpire,
              authoritiesExpire: expiration.authorities,
            }),
          };
        },
        {
          label: name,
          secrets: [...connectionSecrets(props.connection), ...(props.kubeconfig ? [props.kubeconfig] : [])],
          onOutput: reporter.onOutput,
        },
      ),
    );
    return refreshed ?? { id, props };
  });
}

export function certificateRenewalProviderWith(
  open: SessionOpener,
): pulumi.dynamic.ResourceProvider<CertificateRenewalInputs, CertificateRenewalOutputs> {
  return {
    async check(_olds: CertificateRenewalInputs, news: CertificateRenewalInputs) {
      const days = news.renewBeforeDays;
      if (!containsUnknown(days) && (!Number.isInteger(days) || days < 1)) {
        return { failures: [{ property: "renewBeforeDays", reason: "must be a whole number of days, at least 1" }] };
      }
      return { inputs: news };
    },
    async diff(_id: string, olds: CertificateRenewalOutputs, news: CertificateRenewalInputs) {
      return certificateDiff(olds, news);
    },
    async create(inputs: CertificateRenewalInputs) {
      return { id: inputs.node.name, outs: await converge(inputs, open, {}) };
    },
    async update(_id: string, olds: CertificateRenewalOutputs, news: CertificateRenewalInputs) {
      return { outs: await converge(news, open, { renewedAt: olds.renewedAt, etcdSnapshot: olds.etcdSnapshot }) };
    },
    async read(id: string, props?: CertificateRenewalOutputs) {
      return readCertificates(id, stateForRead(id, props), open);
    },
    // Nothing on the host is this resource's own: the node's reset removes the certificates with the rest.
    async delete() {},
  };
}

export const certificateRenewalProvider = certificateRenewalProviderWith(withSession);

/** What each resource stores: module text that loads the provider from the source (shared/provider-from-source.ts). */
export const certificateRenewalProviderStored = new SourceProvider(
  "providers/certificate-renewal",
  "certificateRenewalProvider",
  certificateRenewalProvider,
);

export interface CertificateRenewalArgs {
  connection: pulumi.Input<Connection>;
  node: pulumi.Input<{ name: string }>;
  renewBeforeDays: pulumi.Input<number>;
  kubeconfig?: pulumi.Input<string>;
  etcdSnapshotsKeep?: pulumi.Input<number>;
}

/** Dynamic type `pulumi-nodejs:dynamic/pulumi-kubeadm:CertificateRenewal`. */
export class CertificateRenewal extends SourceProvidedResource {
  declare readonly certificatesExpire: pulumi.Output<string>;
  declare readonly authoritiesExpire: pulumi.Output<string>;
  declare readonly kubeconfig: pulumi.Output<string | undefined>;
  declare readonly etcdSnapshot: pulumi.Output<EtcdSnapshot | undefined>;

  constructor(name: string, args: CertificateRenewalArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      certificateRenewalProviderStored,
      name,
      {
        ...args,
        certificatesExpire: undefined,
        authoritiesExpire: undefined,
        firstToExpire: undefined,
        renewedAt: undefined,
        kubeconfigGiven: undefined,
        etcdSnapshot: undefined,
      },
      pulumi.mergeOptions(opts, { additionalSecretOutputs: CERTIFICATE_SECRET_OUTPUTS }),
      "pulumi-kubeadm",
      "CertificateRenewal",
    );
  }
}
