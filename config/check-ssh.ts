// How each machine (and its bastion) is reached: credentials, host-key verification, and whether
// the secret settings were stored encrypted. A host inherits every unset field from `ssh`.
import { configKey, pathArgument, type ConfigPath } from "./key-path";
import { booleanAt, numberAt, rawHosts, recordAt, stringAt, type CheckContext, type RawRecord } from "./raw-view";
import type { Findings } from "./problem";
import { keyscanCommand, parseHostKeyPins } from "./host-key-pins";
import { encryptedPathProblem, SECRET_PLACEHOLDER, SECRET_SSH_FIELDS } from "./secret-keys";
import { utils as ssh2Utils } from "ssh2";
import { readLocalFile } from "./local-path";
import { DEFAULTS } from "./schema";

const CREDENTIAL_FIELDS = ["privateKey", "privateKeyFile", "password", "agentSocket"] as const;

/** The first line of an OpenSSH or RFC 4716 public key: what ~/.ssh/id_ed25519.pub holds. */
const PUBLIC_KEY = /^(?:(?:ssh-|ecdsa-sha2-|sk-)\S+\s+AAAA|---- BEGIN SSH2 PUBLIC KEY ----)/;

/** A machine the program logs in to: a cluster host or a host's bastion. */
interface SshSubject {
  path: ConfigPath;
  fields: RawRecord;
  label: string;
  address: string | undefined;
}

function sshSubjects(ctx: CheckContext): SshSubject[] {
  const subjects: SshSubject[] = [];
  for (const host of rawHosts(ctx.root)) {
    subjects.push({
      path: host.path,
      fields: host.fields,
      label: host.label,
      address: stringAt(host.fields, "address"),
    });
    const bastion = recordAt(host.fields, "bastion");
    if (bastion) {
      subjects.push({
        path: [...host.path, "bastion"],
        fields: bastion,
        label: `the bastion of ${host.label}`,
        address: stringAt(bastion, "address"),
      });
    }
  }
  return subjects;
}

function inherited(subject: SshSubject, defaults: RawRecord | undefined, field: string): unknown {
  return subject.fields[field] ?? defaults?.[field];
}

function checkCredentials(findings: Findings, subject: SshSubject, defaults: RawRecord | undefined): void {
  if (CREDENTIAL_FIELDS.some((field) => inherited(subject, defaults, field) !== undefined)) return;
  findings.error(
    subject.path,
    `no SSH credentials for ${subject.label}: set privateKey, privateKeyFile, password or agentSocket on it or ` +
      `under ssh, e.g. pulumi config set --path 'ssh.privateKeyFile' '~/.ssh/id_ed25519', or ` +
      `pulumi config set --secret --path 'ssh.privateKey' -- "$(cat ~/.ssh/id_ed25519)"`,
  );
}

/**
 * Why a pinned host key would be rejected at connect time, or undefined when it is usable. The SSH
 * layer's own parser decides, so the two can never disagree about what a valid pin is.
 */
function hostKeyProblem(text: string): string | undefined {
  try {
    parseHostKeyPins(text);
    return undefined;
  } catch {
    return (
      "cannot be read: give the public key as ssh-keyscan prints it ('ssh-ed25519 AAAA...', the host name " +
      "in front is optional) or its fingerprint as ssh-keygen -lf prints it ('SHA256:...')"
    );
  }
}

/**
 * Why ssh2, which makes the connections, could not use `key` as a private key, or undefined when it can (or cannot
 * tell: the passphrase is encrypted in a stack file read without Pulumi). Never quotes the key.
 */
function privateKeyProblem(key: string, passphrase: string | undefined, passphraseKey: string): string | undefined {
  if (passphrase === SECRET_PLACEHOLDER) return undefined;
  const parsed = ssh2Utils.parseKey(key, passphrase);
  if (parsed instanceof Error) {
    if (/no passphrase given/i.test(parsed.message)) {
      return `is encrypted and no passphrase is set: set it with pulumi config set --secret --path '${passphraseKey}'`;
    }
    if (passphrase !== undefined && /passphrase/i.test(parsed.message)) {
      return `cannot be decrypted with ${passphraseKey}: check the passphrase`;
    }
    return (
      `is not a private key ssh2 can read (${parsed.message}): give an OpenSSH or PEM private key, e.g. the ` +
      `contents of ~/.ssh/id_ed25519`
    );
  }
  const first = Array.isArray(parsed) ? parsed[0] : parsed;
  if (!first?.isPrivateKey()) return "holds a public key: give the private key it belongs to";
  return undefined;
}

/**
 * Checks that the key each machine logs in with can be read, by the rule resolve.ts uses: a level that sets
 * privateKey or privateKeyFile overrides both under ssh, and privateKeyPassword is inherited on its own. A key shared
 * by several machines is reported once, at the key it came from.
 */
function checkKeysReadable(
  ctx: CheckContext,
  findings: Findings,
  subjects: SshSubject[],
  defaults: RawRecord | undefined,
): void {
  const reported = new Set<string>();
  for (const subject of subjects) {
    const ownsKey = subject.fields.privateKey !== undefined || subject.fields.privateKeyFile !== undefined;
    const [keyOwner, keyFields] = ownsKey ? [subject.path, subject.fields] : [["ssh"], defaults];
    const inline = stringAt(keyFields, "privateKey");
    const file = stringAt(keyFields, "privateKeyFile");
    let key: string | undefined;
    let where: { path: ConfigPath; prefix: string };
    if (inline !== undefined) {
      // A key written into a hosts file is refused as such (checkSecretsEncrypted); parsing it says nothing more.
      if (inline === "" || inline === SECRET_PLACEHOLDER || ctx.fromHostsFile([...keyOwner, "privateKey"])) continue;
      [key, where] = [inline, { path: [...keyOwner, "privateKey"], prefix: "" }];
    } else if (file !== undefined && file !== "" && file !== SECRET_PLACEHOLDER) {
      const read = readLocalFile(file, ctx.baseDir);
      // checkKeyFile reports a file that cannot be read, is empty or holds a public key.
      if (!read.ok || read.text.trim() === "" || PUBLIC_KEY.test(read.text.trim())) continue;
      [key, where] = [read.text, { path: [...keyOwner, "privateKeyFile"], prefix: `${read.file} ` }];
    } else continue;
    const ownPassphrase = subject.fields.privateKeyPassword !== undefined;
    const passphrase = stringAt(ownPassphrase ? subject.fields : defaults, "privateKeyPassword");
    const passphraseKey = pathArgument([...(ownPassphrase ? subject.path : ["ssh"]), "privateKeyPassword"]);
    const problem = privateKeyProblem(key, passphrase, passphraseKey);
    const report = `${configKey(where.path)}|${problem}`;
    if (problem === undefined || reported.has(report)) continue;
    reported.add(report);
    findings.error(where.path, `${where.prefix}${problem}`);
  }
}

/**
 * privateKeyFile names a key file on the machine running Pulumi: it must be readable now (the program reads
 * it into the connection), hold a private key, and not compete with a privateKey at the same level.
 */
function checkKeyFile(
  ctx: CheckContext,
  findings: Findings,
  owner: ConfigPath,
  fields: RawRecord,
  where: string,
): void {
  const written = stringAt(fields, "privateKeyFile");
  if (written === undefined || written === "") return;
  const path = [...owner, "privateKeyFile"];
  if (fields.privateKey !== undefined) {
    findings.error(
      path,
      `and privateKey are both set ${where}: choose one: remove privateKey to use the key file, or remove ` +
        `privateKeyFile to use the key stored in the stack`,
    );
  }
  // An encrypted path in a stack file read without Pulumi cannot be opened.
  const encrypted = encryptedPathProblem(written, ctx.isSecret?.(path) ?? false, pathArgument(path));
  if (encrypted) {
    findings.error(path, encrypted);
    return;
  }
  const read = readLocalFile(written, ctx.baseDir);
  const fix = "give the path of a private key file on the machine running Pulumi";
  if (!read.ok) {
    findings.error(
      path,
      `${read.file} ${read.reason}: ${fix} (~ is the home directory; a relative path starts at the project ` +
        `directory, ${ctx.baseDir})`,
    );
  } else if (read.text.trim() === "") {
    findings.error(path, `${read.file} is empty: ${fix}`);
  } else if (PUBLIC_KEY.test(read.text.trim())) {
    findings.error(
      path,
      `${read.file} holds a public key: give the private key file it belongs to (usually the same path without .pub)`,
    );
  }
}

function checkHostKey(
  ctx: CheckContext,
  findings: Findings,
  subject: SshSubject,
  defaults: RawRecord | undefined,
): void {
  const ownHostKey = stringAt(subject.fields, "hostKey");
  if (ownHostKey !== undefined && ownHostKey !== "") {
    const problem = hostKeyProblem(ownHostKey);
    if (problem) findings.error([...subject.path, "hostKey"], `the pinned host key ${problem}`);
  }
  const insecure = booleanAt(subject.fields, "insecureIgnoreHostKey") ?? booleanAt(defaults, "insecureIgnoreHostKey");
  if (insecure === true) {
    if (booleanAt(subject.fields, "insecureIgnoreHostKey") === true) {
      findings.warn(
        [...subject.path, "insecureIgnoreHostKey"],
        `host-key verification is off for ${subject.label}: anyone who can intercept the connection gets your ` +
          `credentials; pin hostKey instead`,
      );
    }
    return;
  }
  if (inherited(subject, defaults, "hostKey") !== undefined) return;
  if (inherited(subject, defaults, "knownHostsFile") !== undefined) return;
  // The user pastes this into a shell: every value in it is quoted.
  const port = numberAt(subject.fields, "port") ?? numberAt(defaults, "port");
  const scan = keyscanCommand(subject.address ?? "<address>", port === DEFAULTS.sshPort ? undefined : port, "ed25519");
  const keyscan = `${scan} 2>/dev/null | cut -d' ' -f2-`;
  // A host read from hostsFile is fixed in that file: setting it in the stack would list the hosts twice.
  const pin = ctx.fromHostsFile(subject.path)
    ? `pin its key by adding hostKey to its entry in the hosts file (the output of ${keyscan})`
    : `pin its key with pulumi config set --path '${pathArgument([...subject.path, "hostKey"])}' "$(${keyscan})"`;
  findings.error(
    subject.path,
    `host-key verification is on by default, and there is nothing to verify ${subject.label} against: ${pin}, ` +
      `or set knownHostsFile (here or under ssh), or set insecureIgnoreHostKey: true (not recommended)`,
  );
}

function secretFix(path: ConfigPath, field: string): string {
  const argument = pathArgument(path);
  // A key file goes in through command substitution; a password is better typed at the prompt,
  // which keeps it out of shell history.
  return field === "privateKey"
    ? `pulumi config set --secret --path '${argument}' -- "$(cat ~/.ssh/id_ed25519)"`
    : `pulumi config set --secret --path '${argument}' (it prompts for the value)`;
}

/** A hosts file is plain text that nothing encrypts: credentials stay out of it. */
function hostsFileSecretFix(field: (typeof SECRET_SSH_FIELDS)[number]): string {
  const stackCommand = `pulumi config set --secret --path 'ssh.${field}' (it prompts for the value)`;
  switch (field) {
    case "privateKey":
      return (
        "is a private key in plain text, and a hosts file is not encrypted: remove it and give privateKeyFile, " +
        "the path of the key file on the machine running Pulumi, instead"
      );
    case "privateKeyPassword":
      return (
        "is a passphrase in plain text, and a hosts file is not encrypted: remove it and set it in the stack " +
        `config, encrypted: ${stackCommand}`
      );
    case "password":
      return (
        "is a password in plain text, and a hosts file is not encrypted: remove it and use a key file " +
        `(privateKeyFile) or agentSocket instead, or set the password in the stack config, encrypted: ${stackCommand}`
      );
  }
}

function checkSecretsEncrypted(ctx: CheckContext, findings: Findings, owner: ConfigPath, fields: RawRecord): void {
  const isSecret = ctx.isSecret;
  for (const field of SECRET_SSH_FIELDS) {
    if (fields[field] === undefined) continue;
    const path = [...owner, field];
    if (ctx.fromHostsFile(path)) {
      findings.error(path, hostsFileSecretFix(field));
      continue;
    }
    if (!isSecret || isSecret(path)) continue;
    findings.error(
      path,
      `is stored in plain text in the stack config: set it with --secret so Pulumi encrypts it: ${secretFix(path, field)}`,
    );
  }
}

export function checkSsh(ctx: CheckContext, findings: Findings): void {
  const defaults = recordAt(ctx.root, "ssh");
  if (defaults) {
    checkSecretsEncrypted(ctx, findings, ["ssh"], defaults);
    checkKeyFile(ctx, findings, ["ssh"], defaults, "under ssh");
    const defaultHostKey = stringAt(defaults, "hostKey");
    if (defaultHostKey !== undefined && defaultHostKey !== "") {
      const problem = hostKeyProblem(defaultHostKey);
      if (problem) findings.error(["ssh", "hostKey"], `the pinned host key ${problem}`);
    }
    if (booleanAt(defaults, "insecureIgnoreHostKey") === true) {
      findings.warn(
        ["ssh", "insecureIgnoreHostKey"],
        "host-key verification is off for every host that does not turn it back on: anyone who can intercept " +
          "the connections gets your credentials; pin hostKey per host instead",
      );
    }
  }
  const subjects = sshSubjects(ctx);
  checkKeysReadable(ctx, findings, subjects, defaults);
  for (const subject of subjects) {
    checkSecretsEncrypted(ctx, findings, subject.path, subject.fields);
    checkKeyFile(ctx, findings, subject.path, subject.fields, `on ${subject.label}`);
    checkCredentials(findings, subject, defaults);
    checkHostKey(ctx, findings, subject, defaults);
  }
}
