// Which change of kubernetesVersion kubeadm can make in place (issue 18). kubeadm's upgrade guide allows a later
// patch of the running minor or any patch of the next minor, never a skipped minor and never a step back:
// `kubeadm upgrade apply` refuses both, but only once it runs on the first control plane, after the host's
// packages were already changed. Deciding here, from two version strings, lets `pulumi preview` refuse it too.
import { isSupported, parseKubernetesVersion, SUPPORTED_MINORS, type KubernetesVersion } from "../config/version";

export type UpgradePath =
  | { kind: "none" }
  /** `from` and `to` in kubeadm's form ("v1.35.4"), as `kubeadm upgrade apply` takes them. */
  | { kind: "patch" | "minor"; from: string; to: string }
  /** `problem` names the rule that forbids it and what to set instead. */
  | { kind: "refused"; problem: string };

/**
 * A release's version, "1.35.4" or "v1.35.4". Build metadata ("+build.1") is ignored as semver orders it: an API
 * server's gitVersion may carry it. Pre-releases are not releases kubeadm's packages install, so they are not read.
 */
export function parseReleaseVersion(text: string): KubernetesVersion | undefined {
  const match = /^(v?\d+\.\d+\.\d+)(?:\+[0-9A-Za-z.-]+)?$/.exec(text.trim());
  return match ? parseKubernetesVersion(match[1]) : undefined;
}

/** Negative when a is older than b, 0 when equal, positive when newer. */
export function compareVersions(a: KubernetesVersion, b: KubernetesVersion): number {
  return a.major - b.major || a.minor - b.minor || a.patch - b.patch;
}

/** "1.35.4": how messages show a version, whether the config wrote it with a "v" or not. */
export function formatVersion(version: KubernetesVersion): string {
  return `${version.major}.${version.minor}.${version.patch}`;
}

const minorOf = (version: KubernetesVersion) => `${version.major}.${version.minor}`;
const supportedMinor = (major: number, minor: number) => isSupported({ major, minor, patch: 0 });

// The same wording as the config validation's (config/check-cluster.ts), so both refusals read alike.
const SUPPORTED_RANGE =
  `supported versions are 1.${SUPPORTED_MINORS.min}.x to 1.${SUPPORTED_MINORS.max}.x, the releases whose kubeadm ` +
  "this program was checked against";

/** What the cluster can be upgraded to from `from`, for a refusal's way forward. */
function reachableFrom(from: KubernetesVersion): string {
  const shown = formatVersion(from);
  const options = [`keep kubernetesVersion at ${shown}`];
  if (supportedMinor(from.major, from.minor)) options.push(`set it to a later ${minorOf(from)}.x release`);
  if (supportedMinor(from.major, from.minor + 1)) options.push(`to a ${from.major}.${from.minor + 1}.x release`);
  return options.join(", or ");
}

/**
 * The steps to get from `from` to `to` one minor at a time, each a `pulumi up`. A step through a minor this
 * program does not install has to be done with kubeadm by hand, and the text says so rather than suggesting a
 * kubernetesVersion the validation would refuse.
 */
function oneMinorAtATime(from: KubernetesVersion, to: KubernetesVersion): string {
  const steps: string[] = [];
  let configured = false;
  for (let minor = from.minor + 1; minor < to.minor; minor++) {
    const release = `a ${to.major}.${minor}.x release`;
    if (!supportedMinor(to.major, minor)) {
      steps.push(
        `upgrade the cluster to ${release} by hand (kubeadm upgrade apply; this program does not install ` +
          `Kubernetes ${to.major}.${minor})`,
      );
    } else {
      steps.push(
        `${configured ? "" : "set kubernetesVersion to "}${release}${steps.length === 0 ? " first" : ""}, run \`pulumi up\``,
      );
      configured = true;
    }
  }
  return `${steps.join(", then ")}, then ${configured ? "" : "set kubernetesVersion to "}${formatVersion(to)}`;
}

/**
 * The in-place upgrade from the cluster's version to the configured one, or why kubeadm cannot make it. Only the
 * target has to be a supported minor: a cluster can be upgraded away from a minor this program no longer installs.
 */
export function upgradePath(from: string, to: string): UpgradePath {
  const current = parseReleaseVersion(from);
  const target = parseReleaseVersion(to);
  if (target === undefined) {
    return {
      kind: "refused",
      problem:
        `kubernetesVersion '${to}' is not an exact release (MAJOR.MINOR.PATCH): kubeadm upgrades to one release; ` +
        "write one such as v1.35.4",
    };
  }
  if (current === undefined) {
    return {
      kind: "refused",
      problem:
        `the cluster's version '${from}' is not a release (MAJOR.MINOR.PATCH), so which upgrade kubeadm would run ` +
        "cannot be told; run `pulumi refresh` so the cluster's version is read again, then `pulumi up`",
    };
  }
  const shownFrom = formatVersion(current);
  const shownTo = formatVersion(target);
  const order = compareVersions(current, target);
  if (order === 0) return { kind: "none" };
  if (!isSupported(target)) {
    return {
      kind: "refused",
      problem:
        `kubernetesVersion ${shownTo}: Kubernetes ${minorOf(target)} is not supported: ${SUPPORTED_RANGE}; ` +
        `${reachableFrom(current)}`,
    };
  }
  if (order > 0) {
    return {
      kind: "refused",
      problem:
        `kubernetesVersion ${shownTo} is older than the cluster's ${shownFrom}: kubeadm cannot downgrade; put ` +
        `kubernetesVersion back to ${shownFrom} (or later)`,
    };
  }
  if (current.major !== target.major) {
    return {
      kind: "refused",
      problem:
        `kubernetesVersion ${shownTo} is another major version than the cluster's ${shownFrom}: kubeadm upgrades ` +
        `one minor at a time; ${reachableFrom(current)}`,
    };
  }
  const path = { from: `v${shownFrom}`, to: `v${shownTo}` };
  if (current.minor === target.minor) return { kind: "patch", ...path };
  if (target.minor === current.minor + 1) return { kind: "minor", ...path };
  const skipped = [];
  for (let minor = current.minor + 1; minor < target.minor; minor++) skipped.push(`${target.major}.${minor}`);
  const skippedText = skipped.length > 1 ? `${skipped.slice(0, -1).join(", ")} and ${skipped.at(-1)}` : skipped[0];
  return {
    kind: "refused",
    problem:
      `kubernetesVersion ${shownTo} skips ${skippedText} (the cluster runs ${shownFrom}): kubeadm upgrades ` +
      `one minor at a time; ${oneMinorAtATime(current, target)}`,
  };
}
