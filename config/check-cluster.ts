// Cluster-wide scalar settings: which Kubernetes, how long join tokens live, the DNS domain.
import { DEFAULT_KUBERNETES_VERSION } from "./schema";
import { isSupported, parseKubernetesVersion, SUPPORTED_MINORS } from "./version";
import { parseGoDuration } from "./duration";
import { isLowercaseDnsSubdomain } from "./addresses";
import { numberAt, recordAt, stringAt, type CheckContext } from "./raw-view";
import type { Findings } from "./problem";

// Supported means read: config/kubeadm-facts.ts holds, per minor, the pause image and container-runtime check taken
// from that kubeadm's source, and a minor without them would get a sandbox image kubeadm does not deploy.
const SUPPORTED_RANGE =
  `supported versions are 1.${SUPPORTED_MINORS.min}.x to 1.${SUPPORTED_MINORS.max}.x, the releases whose kubeadm ` +
  `this program was checked against; write an exact release such as ${DEFAULT_KUBERNETES_VERSION}`;

// The seed tutorial this project replaces pinned "stable-1.11" and a kubeadm.k8s.io/v1alpha1
// MasterConfiguration; people porting it need to hear that the whole format is gone, not only the number.
const SEED_ERA_NOTE =
  "The kubeadm 1.11/1.12 era (kubeadm.k8s.io/v1alpha1 MasterConfiguration) is long gone: current kubeadm " +
  "rejects that configuration API, and this program writes the current one for you from these keys";

export function checkKubernetesVersion(ctx: CheckContext, findings: Findings): void {
  const text = stringAt(ctx.root, "kubernetesVersion");
  if (text === undefined) return;
  const path = ["kubernetesVersion"];
  const version = parseKubernetesVersion(text);
  if (version) {
    if (isSupported(version)) return;
    const tooOld = version.major < 1 || (version.major === 1 && version.minor < SUPPORTED_MINORS.min);
    findings.error(
      path,
      `Kubernetes ${version.major}.${version.minor} is not supported: ${SUPPORTED_RANGE}.${tooOld ? ` ${SEED_ERA_NOTE}.` : ""}`,
    );
    return;
  }
  const label = /^(stable|latest)(?:-(\d+)(?:\.(\d+))?)?$/.exec(text);
  if (label) {
    const labelMinor = label[3] === undefined ? undefined : Number(label[3]);
    const tooOld = labelMinor !== undefined && labelMinor < SUPPORTED_MINORS.min;
    findings.error(
      path,
      `'${text}' is a release label that kubeadm looks up on the internet at install time, so the ` +
        `cluster would change under you; ${SUPPORTED_RANGE}.${tooOld ? ` ${SEED_ERA_NOTE}.` : ""}`,
    );
    return;
  }
  findings.error(path, `'${text}' is not a version: write [v]MAJOR.MINOR.PATCH; ${SUPPORTED_RANGE}`);
}

/** kubeadm issues a control plane's certificates for a year (its certificateValidityPeriod default). */
const CERTIFICATE_LIFETIME_DAYS = 365;

export function checkCertificateRenewal(ctx: CheckContext, findings: Findings): void {
  const days = numberAt(recordAt(ctx.root, "certificates"), "renewBeforeDays");
  if (days === undefined || days < CERTIFICATE_LIFETIME_DAYS) return;
  findings.warn(
    ["certificates", "renewBeforeDays"],
    `${days} days is not less than the ${CERTIFICATE_LIFETIME_DAYS} days kubeadm's certificates last: every pulumi up ` +
      "would renew them and restart the control plane's components; 30 (the default) leaves a month for a missed run",
  );
}

const MAX_TOKEN_TTL_MS = 24 * 3_600_000;

export function checkJoinTokenTtl(ctx: CheckContext, findings: Findings): void {
  const text = stringAt(ctx.root, "joinTokenTtl");
  if (text === undefined) return;
  const path = ["joinTokenTtl"];
  const milliseconds = parseGoDuration(text);
  if (milliseconds === undefined) {
    findings.error(path, `'${text}' is not a Go duration: write a number with a unit, e.g. 15m, 1h or 1h30m`);
  } else if (milliseconds <= 0) {
    findings.error(
      path,
      `must be longer than 0 (kubeadm treats 0 as a token that never expires, a standing credential); use e.g. 15m`,
    );
  } else if (milliseconds > MAX_TOKEN_TTL_MS) {
    findings.error(
      path,
      `'${text}' is longer than 24h: a fresh token is minted for every join and only has to outlive it; use 15m to 24h`,
    );
  }
}

export function checkDnsDomain(ctx: CheckContext, findings: Findings): void {
  const text = stringAt(ctx.root, "dnsDomain");
  if (text === undefined || isLowercaseDnsSubdomain(text)) return;
  findings.error(
    ["dnsDomain"],
    `'${text}' is not a valid DNS domain: use lowercase letters, digits, '-' and '.', e.g. cluster.local`,
  );
}
