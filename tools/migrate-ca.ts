// `npm run migrate-ca -- <stack>`: once, for a stack created before the tls provider made the cluster CA. Such a
// stack's CA was made by a ClusterCa resource and lives only in the stack's state; the program now makes CAs with
// tls.PrivateKey and tls.SelfSignedCert, which cannot adopt an existing key (the tls provider has no import), and
// would make a new CA, which the first control plane refuses (providers/master-node/diff.ts). This moves the stack's
// CA into its config as a CA brought by the user (clusterCa.certPem, and clusterCa.keyPem encrypted), byte for byte,
// so the next `pulumi up` passes the cluster the same CA and changes nothing on any host; the old resource is then
// deleted from the state, which is all its provider still does (providers/cluster-ca). The settings that only shape
// a generated CA (keyType, rsaBits, validityDays) are removed, as `npm run validate` asks for a supplied one.
//
// It runs the pulumi CLI where it is started (the project's directory, after `source tools/env.sh`), and never
// passes the key on a command line: `pulumi config set` reads it from stdin.
import { execFileSync } from "child_process";
import { LEGACY_CLUSTER_CA_TYPE } from "../providers/cluster-ca";

/** Runs the pulumi CLI with these arguments (and stdin), returning stdout; throws when it exits non-zero. */
export type PulumiCli = (args: string[], input?: string) => string;

interface ExportedResource {
  urn: string;
  type: string;
  outputs?: Record<string, unknown>;
}

/** A value of `stack export --show-secrets`: plain, or a secret envelope whose plaintext is JSON. */
export function plainValue(value: unknown): unknown {
  if (value && typeof value === "object" && "plaintext" in value) {
    return JSON.parse(String((value as { plaintext: string }).plaintext));
  }
  return value;
}

const CONFIG = "pulumi-kubeadm:clusterCa";
const GENERATION_KEYS = ["keyType", "rsaBits", "validityDays"];

function configValue(cli: PulumiCli, stack: string, key: string): string | undefined {
  try {
    return cli(["config", "get", "--stack", stack, "--path", `${CONFIG}.${key}`]).replace(/\n$/, "");
  } catch {
    return undefined;
  }
}

export interface MigrateResult {
  /** What happened, for the user. */
  message: string;
  moved: boolean;
}

export function migrateCa(cli: PulumiCli, stack: string): MigrateResult {
  const exported = JSON.parse(cli(["stack", "export", "--show-secrets", "--stack", stack])) as {
    deployment: { resources?: ExportedResource[] };
  };
  const legacy = (exported.deployment.resources ?? []).filter((r) => r.type === LEGACY_CLUSTER_CA_TYPE);
  if (legacy.length === 0) {
    return { moved: false, message: `stack ${stack} holds no ClusterCa resource: its CA needs no move` };
  }
  if (legacy.length > 1) {
    throw new Error(`stack ${stack} holds ${legacy.length} ClusterCa resources; this program builds one cluster`);
  }
  const certPem = plainValue(legacy[0].outputs?.certPem);
  const keyPem = plainValue(legacy[0].outputs?.keyPem);
  if (typeof certPem !== "string" || typeof keyPem !== "string") {
    throw new Error(`${legacy[0].urn} has no certPem/keyPem in the state: nothing to move`);
  }
  const configured = configValue(cli, stack, "certPem");
  if (configured === certPem) {
    return { moved: false, message: `stack ${stack}'s config holds its CA already (clusterCa.certPem)` };
  }
  const other =
    configured !== undefined ? "certPem" : configValue(cli, stack, "certFile") !== undefined ? "certFile" : "";
  if (other) {
    const keyOfOther = other === "certPem" ? "keyPem" : "keyFile";
    throw new Error(
      `stack ${stack} sets clusterCa.${other}, which is not the CA its cluster was initialised with ` +
        `(${legacy[0].urn}): remove clusterCa.${other} and clusterCa.${keyOfOther} ` +
        `(pulumi config rm --path '${CONFIG}.${other}'), then run this again`,
    );
  }
  cli(["config", "set", "--stack", stack, "--path", "--raw", `${CONFIG}.certPem`], certPem);
  cli(["config", "set", "--stack", stack, "--path", "--raw", "--secret", `${CONFIG}.keyPem`], keyPem);
  const removed = GENERATION_KEYS.filter((key) => configValue(cli, stack, key) !== undefined);
  for (const key of removed) cli(["config", "rm", "--stack", stack, "--path", `${CONFIG}.${key}`]);
  return {
    moved: true,
    message:
      `stack ${stack}: its cluster CA is now clusterCa.certPem and clusterCa.keyPem (encrypted) in its config` +
      `${removed.length > 0 ? `, and ${removed.map((key) => `clusterCa.${key}`).join(", ")} removed` : ""}. ` +
      "The next `pulumi preview` shows the old ClusterCa resource deleted (it only lived in the state) and " +
      "nothing else about the CA.",
  };
}

function main(): void {
  const stack = process.argv[2];
  if (!stack || process.argv.length > 3) {
    process.stderr.write("usage: npm run migrate-ca -- <stack>\n");
    process.exit(2);
  }
  const cli: PulumiCli = (args, input) =>
    execFileSync("pulumi", args, {
      encoding: "utf8",
      input,
      stdio: ["pipe", "pipe", "pipe"],
      maxBuffer: 256 * 1024 * 1024,
    });
  try {
    process.stdout.write(`${migrateCa(cli, stack).message}\n`);
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr;
    process.stderr.write(`migrate-ca: ${stderr?.trim() || (error as Error).message}\n`);
    process.exit(1);
  }
}

if (require.main === module) main();
