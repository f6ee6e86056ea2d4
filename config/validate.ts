// The single gate between what a user wrote and what the program builds from: every schema and
// cross-field problem is collected and reported at once, so a stack file is fixed in one pass.
import { clusterConfig, type ClusterConfigInput } from "./schema";
import { Findings, type Problem } from "./problem";
import { schemaProblems } from "./schema-problems";
import { asRecord, type CheckContext } from "./raw-view";
import { checkCertificateRenewal, checkDnsDomain, checkJoinTokenTtl, checkKubernetesVersion } from "./check-cluster";
import { checkCertSans, checkControlPlaneEndpoint, checkSubnets } from "./check-network";
import { checkHosts } from "./check-hosts";
import { checkSsh } from "./check-ssh";
import { checkExtraArgs } from "./check-extra-args";
import { checkSources } from "./check-sources";
import { checkAddons } from "./check-addons";
import { checkKubeVip } from "./check-kube-vip";
import { checkClusterCa } from "./check-cluster-ca";
import { configKey, type ConfigPath } from "./key-path";
import { mergeHostsFile } from "./hosts-file";

export type { Problem } from "./problem";
export type { ConfigPath } from "./key-path";

export interface ValidateOptions {
  /**
   * Whether the value at a path was stored encrypted (set with `--secret`). When given, a
   * privateKey, privateKeyPassword or password that was stored in plain text is an error.
   * Leave it out for values that never passed through a stack file (tests, code).
   */
  isSecret?: (path: ConfigPath) => boolean;
  /**
   * The project directory (the one holding Pulumi.yaml), where relative paths of files named in the config
   * (hostsFile, privateKeyFile) start; the working directory by default, as for the Pulumi program.
   */
  baseDir?: string;
}

export type ValidationResult =
  | { ok: true; config: ClusterConfigInput; warnings: Problem[] }
  | { ok: false; problems: Problem[]; warnings: Problem[] };

const CHECKS = [
  checkKubernetesVersion,
  checkHosts,
  checkSsh,
  checkSubnets,
  checkControlPlaneEndpoint,
  checkKubeVip,
  checkCertSans,
  checkDnsDomain,
  checkJoinTokenTtl,
  checkCertificateRenewal,
  checkClusterCa,
  checkExtraArgs,
  checkSources,
  checkAddons,
];

/**
 * Validates the project's config (keys without the `pulumi-kubeadm:` prefix). Problems name keys
 * as the user writes them, e.g. `pulumi-kubeadm:workers[1].address`. A hostsFile is merged in first,
 * so the accepted config holds its hosts; problems with them say they came from the file.
 */
export function validateConfig(raw: unknown, opts: ValidateOptions = {}): ValidationResult {
  const root = asRecord(raw);
  if (!root) {
    const problem = { key: configKey([]), message: "the project's config must be a map of keys" };
    return { ok: false, problems: [problem], warnings: [] };
  }
  const baseDir = opts.baseDir ?? process.cwd();
  const hostsFile = mergeHostsFile(root, baseDir, { isSecret: opts.isSecret });
  const merged = hostsFile.raw;
  const findings = new Findings();
  const ctx: CheckContext = {
    root: merged as typeof root,
    isSecret: opts.isSecret,
    baseDir,
    fromHostsFile: hostsFile.fromFile,
  };
  // Cross-field checks read the raw input defensively, so they run even when the schema failed.
  for (const check of CHECKS) check(ctx, findings);
  const malformed = schemaProblems(merged, hostsFile.fromFile);
  // A value the schema refuses (wrong type, a line break) makes any further check of it noise.
  const malformedKeys = new Set(malformed.map((problem) => problem.key));
  const crossFieldErrors = findings.errors.filter((problem) => !malformedKeys.has(problem.key));
  let problems = [...hostsFile.problems, ...hostsFile.annotate([...malformed, ...crossFieldErrors])];
  if (hostsFile.unusable) {
    // The hosts were to come from the file: "controlPlane is required" would only repeat its problem.
    const controlPlaneKey = configKey(["controlPlane"]);
    problems = problems.filter((problem) => problem.key !== controlPlaneKey);
  }
  const warnings = hostsFile.annotate(findings.warnings);
  if (problems.length > 0) return { ok: false, problems, warnings };
  return { ok: true, config: clusterConfig.parse(merged), warnings };
}
