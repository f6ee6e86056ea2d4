// A CA the user brings instead of the generated one: clusterCa.certPem + clusterCa.keyPem (the key a secret), or
// clusterCa.certFile + clusterCa.keyFile on the machine running Pulumi. Both of a pair or neither, one form only,
// and the certificate and key themselves checked as kubeadm will use them (supplied-ca.ts).
import { suppliedCaProblems } from "./supplied-ca";
import { pathArgument, type ConfigPath } from "./key-path";
import { readLocalFile } from "./local-path";
import type { Findings } from "./problem";
import { recordAt, stringAt, type CheckContext, type RawRecord } from "./raw-view";
import { encryptedPathProblem, SECRET_PLACEHOLDER } from "./secret-keys";

const CA: ConfigPath = ["clusterCa"];
const CERT_PEM = [...CA, "certPem"];
const KEY_PEM = [...CA, "keyPem"];
const CERT_FILE = [...CA, "certFile"];
const KEY_FILE = [...CA, "keyFile"];
/** The settings that only shape a generated CA. */
const GENERATION_KEYS = ["keyType", "rsaBits", "validityDays"] as const;

const KEY_PEM_COMMAND = `pulumi config set --secret --path '${pathArgument(KEY_PEM)}' -- "$(cat ca.key)"`;
const CERT_PEM_COMMAND = `pulumi config set --path '${pathArgument(CERT_PEM)}' -- "$(cat ca.crt)"`;

/** One half of the CA as the checks see it: where it is set, and its text when it can be known now. */
interface Half {
  path: ConfigPath;
  /** undefined: encrypted in a stack file read without Pulumi, or a file that could not be read (reported). */
  text: string | undefined;
}

function isSet(ca: RawRecord, key: string): boolean {
  return ca[key] !== undefined;
}

/** Reports a half set without its other half; true when the pair is complete. */
function checkPair(ca: RawRecord, findings: Findings, first: string, second: string, fix: string): boolean {
  const [hasFirst, hasSecond] = [isSet(ca, first), isSet(ca, second)];
  if (hasFirst === hasSecond) return hasFirst;
  const [present, missing] = hasFirst ? [first, second] : [second, first];
  findings.error(
    [...CA, present],
    `is set without ${pathArgument([...CA, missing])}: a CA needs its certificate and its key; give both ` +
      `(${fix}) or neither, to have one generated`,
  );
  return false;
}

function pemHalf(ctx: CheckContext, findings: Findings, ca: RawRecord, path: ConfigPath, secret: boolean): Half {
  const text = stringAt(ca, String(path[path.length - 1]));
  const encrypted = ctx.isSecret?.(path) ?? false;
  if (secret && ctx.isSecret && !encrypted) {
    findings.error(
      path,
      `is stored in plain text in the stack config: set it with --secret so Pulumi encrypts it: ${KEY_PEM_COMMAND}`,
    );
  }
  // Encrypted in a stack file read without Pulumi: present, but not readable before deployment.
  if (text === undefined || (text === SECRET_PLACEHOLDER && encrypted)) return { path, text: undefined };
  return { path, text };
}

function fileHalf(ctx: CheckContext, findings: Findings, ca: RawRecord, path: ConfigPath, what: string): Half {
  const written = stringAt(ca, String(path[path.length - 1]));
  if (written === undefined || written === "") return { path, text: undefined };
  const encrypted = encryptedPathProblem(written, ctx.isSecret?.(path) ?? false, pathArgument(path));
  if (encrypted) {
    findings.error(path, encrypted);
    return { path, text: undefined };
  }
  const read = readLocalFile(written, ctx.baseDir);
  const fix = `give the path of the CA's ${what} file on the machine running Pulumi`;
  if (!read.ok) {
    findings.error(
      path,
      `${read.file} ${read.reason}: ${fix} (~ is the home directory; a relative path starts at the project ` +
        `directory, ${ctx.baseDir})`,
    );
    return { path, text: undefined };
  }
  if (read.text.trim() === "") {
    findings.error(path, `${read.file} is empty: ${fix}`);
    return { path, text: undefined };
  }
  return { path, text: read.text };
}

export function checkClusterCa(ctx: CheckContext, findings: Findings): void {
  const ca = recordAt(ctx.root, "clusterCa");
  if (!ca) return;
  const pemForm = isSet(ca, "certPem") || isSet(ca, "keyPem");
  const fileForm = isSet(ca, "certFile") || isSet(ca, "keyFile");
  if (!pemForm && !fileForm) return;
  if (pemForm && fileForm) {
    for (const key of ["certFile", "keyFile"].filter((name) => isSet(ca, name))) {
      findings.error(
        [...CA, key],
        "cannot be combined with clusterCa.certPem or clusterCa.keyPem: give the CA either as certPem and keyPem " +
          "(in the stack config, the key with --secret) or as certFile and keyFile (paths on the machine running " +
          "Pulumi); remove the other pair",
      );
    }
    return;
  }
  const complete = pemForm
    ? checkPair(ca, findings, "certPem", "keyPem", `${CERT_PEM_COMMAND}; ${KEY_PEM_COMMAND}`)
    : checkPair(
        ca,
        findings,
        "certFile",
        "keyFile",
        `pulumi config set --path '${pathArgument(CERT_FILE)}' ca.crt; ` +
          `pulumi config set --path '${pathArgument(KEY_FILE)}' ca.key`,
      );
  const cert = pemForm
    ? pemHalf(ctx, findings, ca, CERT_PEM, false)
    : fileHalf(ctx, findings, ca, CERT_FILE, "certificate");
  const key = pemForm ? pemHalf(ctx, findings, ca, KEY_PEM, true) : fileHalf(ctx, findings, ca, KEY_FILE, "key");
  for (const setting of GENERATION_KEYS) {
    if (!isSet(ca, setting)) continue;
    findings.warn(
      [...CA, setting],
      "only shapes a CA this program generates, and the CA is supplied (certificate and key): it has no effect; " +
        "remove it",
    );
  }
  if (!complete || cert.text === undefined) return;
  const problems = suppliedCaProblems(cert.text, key.text);
  for (const message of problems.cert) findings.error(cert.path, message);
  for (const message of problems.key) findings.error(key.path, message);
  for (const message of problems.warnings) findings.warn(cert.path, message);
}
