// The connection host preparation gives @pulumi/command: every setting mapped, and above all the one host key the
// provider checks, chosen from the configuration, or the host refused.
import { strict as assert } from "assert";
import { execFileSync } from "child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { commandConnection } from "../../components/host-prep/command-connection";
import type { Connection } from "../../config/spec";
import { generateKey as generateKeyIn, type GeneratedKey } from "../support/ssh-keys";

let dir: string;
let keyCounter = 0;

/** A new key pair in the test's directory. */
const generateKey = (type: "ed25519" | "ecdsa" | "rsa"): GeneratedKey => generateKeyIn(dir, type);

function knownHostsFile(text: string): string {
  const path = join(dir, `known_hosts${keyCounter++}`);
  writeFileSync(path, text);
  return path;
}

const sources = {
  hostKey: "controlPlane[0].hostKey",
  knownHostsFile: "ssh.knownHostsFile",
  insecureIgnoreHostKey: "controlPlane[0].insecureIgnoreHostKey",
};

function connection(overrides: Partial<Connection> = {}): Connection {
  return {
    host: "10.1.2.3",
    port: 22,
    user: "root",
    sudo: false,
    insecureIgnoreHostKey: false,
    connectTimeoutSeconds: 30,
    commandTimeoutSeconds: 1800,
    dialErrorLimit: 3,
    sources,
    ...overrides,
  };
}

describe("host preparation's @pulumi/command connection", () => {
  let ed25519: GeneratedKey;
  let ecdsa: GeneratedKey;
  let rsa: GeneratedKey;
  let other: GeneratedKey;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), "command-connection-test-"));
    ed25519 = generateKey("ed25519");
    ecdsa = generateKey("ecdsa");
    rsa = generateKey("rsa");
    other = generateKey("ed25519");
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  describe("settings", () => {
    it("maps every connection setting, the jump host's with its own host key, and nothing else", () => {
      const bastion = generateKey("ed25519");
      const result = commandConnection(
        connection({
          port: 2222,
          user: "admin",
          privateKey: "-----BEGIN OPENSSH PRIVATE KEY-----\nkey\n",
          privateKeyPassword: "key secret",
          password: "login secret",
          agentSocketPath: "/run/agent.sock",
          sudo: true,
          hostKey: ed25519.line,
          connectTimeoutSeconds: 12,
          commandTimeoutSeconds: 600,
          dialErrorLimit: 5,
          proxy: {
            host: "bastion.example",
            port: 2200,
            user: "jump",
            privateKey: "bastion private key",
            insecureIgnoreHostKey: false,
            hostKey: bastion.line,
            connectTimeoutSeconds: 7,
            dialErrorLimit: 1,
            sources: { hostKey: "controlPlane[0].bastion.hostKey" },
          },
        }),
      );
      assert.deepEqual(result, {
        host: "10.1.2.3",
        port: 2222,
        user: "admin",
        privateKey: "-----BEGIN OPENSSH PRIVATE KEY-----\nkey\n",
        privateKeyPassword: "key secret",
        password: "login secret",
        agentSocketPath: "/run/agent.sock",
        // Five attempts: the provider's limit counts the failures it tolerates, one fewer.
        dialErrorLimit: 4,
        perDialTimeout: 12,
        hostKey: ed25519.keyLine,
        proxy: {
          host: "bastion.example",
          port: 2200,
          user: "jump",
          privateKey: "bastion private key",
          dialErrorLimit: 0,
          perDialTimeout: 7,
          hostKey: bastion.keyLine,
        },
      });
    });

    it("leaves out the settings not made instead of passing undefined", () => {
      const result = commandConnection(connection({ hostKey: ed25519.line, password: undefined, proxy: undefined }));
      assert.deepEqual(Object.keys(result).sort(), [
        "dialErrorLimit",
        "host",
        "hostKey",
        "perDialTimeout",
        "port",
        "user",
      ]);
    });
  });

  describe("pinned keys", () => {
    it("passes a pinned key on as 'type base64', without its comment or the host name ssh-keyscan puts in front", () => {
      assert.equal(commandConnection(connection({ hostKey: ed25519.line })).hostKey, ed25519.keyLine);
      assert.equal(commandConnection(connection({ hostKey: `10.1.2.3 ${ecdsa.keyLine}` })).hostKey, ecdsa.keyLine);
    });

    it("of several pins, gives the provider ed25519, else ecdsa, else rsa", () => {
      const all = `# ssh-keyscan output\n10.1.2.3 ${rsa.keyLine}\n10.1.2.3 ${ecdsa.keyLine}\n10.1.2.3 ${ed25519.keyLine}\n`;
      assert.equal(commandConnection(connection({ hostKey: all })).hostKey, ed25519.keyLine);
      assert.equal(commandConnection(connection({ hostKey: `${rsa.line}\n${ecdsa.line}` })).hostKey, ecdsa.keyLine);
      assert.equal(commandConnection(connection({ hostKey: rsa.line })).hostKey, rsa.keyLine);
    });

    it("uses the key pins and leaves knownHostsFile alone, as the connection's own check does", () => {
      const missing = join(dir, "no-such-file");
      assert.equal(
        commandConnection(connection({ hostKey: ecdsa.line, knownHostsFile: missing })).hostKey,
        ecdsa.keyLine,
      );
    });

    it("reports a hostKey that is not a key, naming the setting", () => {
      assert.throws(() => commandConnection(connection({ hostKey: "ssh-ed25519 nonsense!" })), {
        message: /^controlPlane\[0\]\.hostKey: cannot read/,
      });
    });
  });

  describe("fingerprint pins", () => {
    it("takes the key with the pinned fingerprint from knownHostsFile", () => {
      const file = knownHostsFile(`10.1.2.3 ${ed25519.line}\n10.1.2.3 ${ecdsa.line}\n`);
      // ecdsa, not the ed25519 key the file prefers: the fingerprint chose it.
      assert.equal(
        commandConnection(connection({ hostKey: ecdsa.fingerprint, knownHostsFile: file })).hostKey,
        ecdsa.keyLine,
      );
      const both = `${ecdsa.fingerprint}\n${ed25519.fingerprint}`;
      assert.equal(commandConnection(connection({ hostKey: both, knownHostsFile: file })).hostKey, ed25519.keyLine);
    });

    it("refuses a fingerprint whose key knownHostsFile does not have, saying to pin the key line", () => {
      const file = knownHostsFile(`10.1.2.3 ${ed25519.line}\n10.9.9.9 ${other.line}\n`);
      assert.throws(() => commandConnection(connection({ hostKey: other.fingerprint, knownHostsFile: file })), {
        message: new RegExp(
          `^ssh root@10\\.1\\.2\\.3:22: controlPlane\\[0\\]\\.hostKey pins the host key by fingerprint ` +
            `\\(${escape(other.fingerprint)}\\), and known_hosts file '${escape(file)}' \\(ssh\\.knownHostsFile\\) ` +
            `has no such key for 10\\.1\\.2\\.3, but @pulumi/command, which prepares the hosts, compares whole keys\\. ` +
            `Set controlPlane\\[0\\]\\.hostKey to the key line \`ssh-keyscan -p 22 -t ed25519 '10\\.1\\.2\\.3'\` prints`,
        ),
      });
    });

    it("refuses a fingerprint when there is no knownHostsFile to find its key in", () => {
      assert.throws(
        () => commandConnection(connection({ hostKey: ed25519.fingerprint })),
        (error: Error) => {
          assert.match(error.message, /controlPlane\[0\]\.hostKey pins the host key by fingerprint/);
          assert.match(error.message, /add that line to the known_hosts file ssh\.knownHostsFile names$/);
          assert.doesNotMatch(error.message, /has no such key/);
          return true;
        },
      );
    });
  });

  describe("knownHostsFile", () => {
    it("finds a host's keys in a file hashed by ssh-keygen -H, under [host]:port off port 22", () => {
      const file = knownHostsFile(`[10.1.2.3]:2222 ${ed25519.line}\n10.1.2.3 ${ecdsa.line}\n`);
      execFileSync("ssh-keygen", ["-H", "-f", file], { stdio: "ignore" });
      const hashed = readFileSync(file, "utf8");
      assert.ok(!hashed.includes("10.1.2.3") && hashed.includes("|1|"), "ssh-keygen did not hash the file");
      assert.equal(commandConnection(connection({ port: 2222, knownHostsFile: file })).hostKey, ed25519.keyLine);
      assert.equal(commandConnection(connection({ knownHostsFile: file })).hostKey, ecdsa.keyLine);
    });

    it("reads [host]:port entries written in the clear, and prefers ed25519 there too", () => {
      const file = knownHostsFile(`[10.1.2.3]:2222 ${rsa.line}\n[10.1.2.3]:2222,other ${ed25519.line}\n`);
      assert.equal(commandConnection(connection({ port: 2222, knownHostsFile: file })).hostKey, ed25519.keyLine);
    });

    it("skips @revoked keys, even one also listed unmarked", () => {
      const file = knownHostsFile(
        `10.1.2.3 ${ed25519.line}\n@revoked 10.1.2.3 ${ed25519.line}\n10.1.2.3 ${rsa.line}\n@revoked * ${other.line}\n`,
      );
      assert.equal(commandConnection(connection({ knownHostsFile: file })).hostKey, rsa.keyLine);
    });

    it("refuses a host whose only entries are @revoked, saying so", () => {
      const file = knownHostsFile(`@revoked 10.1.2.3 ${ed25519.line}\n10.9.9.9 ${ecdsa.line}\n`);
      assert.throws(() => commandConnection(connection({ knownHostsFile: file })), {
        message:
          `ssh root@10.1.2.3:22: every key for 10.1.2.3 in known_hosts file '${file}' (ssh.knownHostsFile) is ` +
          `marked @revoked (${ed25519.fingerprint}). Add the host's current key with ` +
          `\`ssh-keyscan -p 22 -t ed25519 '10.1.2.3' >> '${file}'\` after checking its fingerprint on the host, or ` +
          `set controlPlane[0].hostKey to the line \`ssh-keyscan -p 22 -t ed25519 '10.1.2.3'\` prints`,
      });
    });

    it("refuses a host the file has no entry for, naming it as the file would", () => {
      const file = knownHostsFile(`10.1.2.3 ${ed25519.line}\n`);
      assert.throws(() => commandConnection(connection({ port: 2222, knownHostsFile: file })), {
        message:
          /^ssh root@10\.1\.2\.3:2222: known_hosts file '.*' \(ssh\.knownHostsFile\) has no entry for \[10\.1\.2\.3\]:2222\./,
      });
    });

    it("reports a file that cannot be read", () => {
      assert.throws(() => commandConnection(connection({ knownHostsFile: join(dir, "missing") })), {
        message: /known_hosts file '.*missing' \(ssh\.knownHostsFile\) cannot be read/,
      });
    });
  });

  describe("without host-key verification", () => {
    it("gives no hostKey with insecureIgnoreHostKey, even next to a pin", () => {
      assert.equal("hostKey" in commandConnection(connection({ insecureIgnoreHostKey: true })), false);
      const pinned = commandConnection(connection({ insecureIgnoreHostKey: true, hostKey: ed25519.line }));
      assert.equal("hostKey" in pinned, false);
    });

    it("refuses a host with nothing to pin rather than let the provider accept any key, naming the settings", () => {
      assert.throws(() => commandConnection(connection()), {
        message:
          "ssh root@10.1.2.3:22: no host key to verify the server against, and without one @pulumi/command, which " +
          "prepares the hosts, would accept any. Pin it: set controlPlane[0].hostKey to the line " +
          "`ssh-keyscan -p 22 -t ed25519 '10.1.2.3'` prints, after checking its fingerprint on the host, or set " +
          "ssh.knownHostsFile; controlPlane[0].insecureIgnoreHostKey: true turns verification off",
      });
    });

    it("refuses a jump host with nothing to pin, naming its own settings", () => {
      const conn = connection({
        hostKey: ed25519.line,
        proxy: {
          host: "bastion.example",
          port: 22,
          user: "jump",
          insecureIgnoreHostKey: false,
          connectTimeoutSeconds: 30,
          dialErrorLimit: 3,
          sources: { hostKey: "workers[1].bastion.hostKey" },
        },
      });
      assert.throws(() => commandConnection(conn), {
        message:
          /^ssh jump@bastion\.example:22: no host key .* set workers\[1\]\.bastion\.hostKey to the line .* or set ssh\.knownHostsFile; ssh\.insecureIgnoreHostKey: true/,
      });
    });
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
