import { strict as assert } from "assert";
import { execFileSync } from "child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { parseHostKeyPins, sha256Fingerprint } from "../../config/host-key-pins";
import { hostKeyPolicy, hostPatternsMatch, knownHostsEntries, knownHostsName } from "../../ssh/host-key";
import { generateKey as generateKeyIn, type GeneratedKey } from "../support/ssh-keys";

let dir: string;

/** A new key pair in the test's directory. */
const generateKey = (type: "ed25519" | "ecdsa" | "rsa"): GeneratedKey => generateKeyIn(dir, type);

const settings = { host: "10.1.2.3", port: 22, insecureIgnoreHostKey: false };

describe("host keys", () => {
  let ed25519: GeneratedKey;
  let ecdsa: GeneratedKey;
  let other: GeneratedKey;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), "host-key-test-"));
    ed25519 = generateKey("ed25519");
    ecdsa = generateKey("ecdsa");
    other = generateKey("ed25519");
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("computes the SHA256 fingerprint exactly as ssh-keygen -l prints it", () => {
    for (const key of [ed25519, ecdsa, generateKey("rsa")]) {
      assert.equal(sha256Fingerprint(key.blob), key.fingerprint);
    }
  });

  describe("parseHostKeyPins", () => {
    it("reads a public key line with or without comment or a leading host name, and a fingerprint", () => {
      const [keyType, base64] = ed25519.line.split(" ");
      for (const text of [ed25519.line, `${keyType} ${base64}`, `[10.1.2.3]:2222 ${keyType} ${base64}`]) {
        const [pin] = parseHostKeyPins(text);
        assert.ok(pin.kind === "key" && pin.blob.equals(ed25519.blob) && pin.keyType === "ssh-ed25519");
      }
      assert.deepEqual(parseHostKeyPins(`  ${ed25519.fingerprint}  `), [
        { kind: "fingerprint", fingerprint: ed25519.fingerprint },
      ]);
    });

    it("reads all of ssh-keyscan's output, comment lines included, as alternatives", () => {
      const keyscan = `# 10.1.2.3:22 SSH-2.0-OpenSSH_9.2\n10.1.2.3 ${ed25519.line}\n# x\n10.1.2.3 ${ecdsa.line}\n`;
      assert.equal(parseHostKeyPins(keyscan).length, 2);
    });

    it("rejects text that is not a key or fingerprint instead of failing later with a mismatch", () => {
      assert.throws(() => parseHostKeyPins("ssh-ed25519"), /cannot read/);
      assert.throws(() => parseHostKeyPins("SHA256:tooShort"), /cannot read/);
      assert.throws(() => parseHostKeyPins("MD5:aa:bb"), /cannot read/);
      assert.throws(() => parseHostKeyPins("\n# only a comment\n"), /empty/);
      // The blob names its own type: an ecdsa blob labelled ssh-ed25519 is a corrupted line.
      assert.throws(() => parseHostKeyPins(`ssh-ed25519 ${ecdsa.line.split(" ")[1]}`), /cannot read/);
    });
  });

  describe("known_hosts", () => {
    it("files non-standard ports under [host]:port, as OpenSSH does", () => {
      assert.equal(knownHostsName("Example.COM", 22), "example.com");
      assert.equal(knownHostsName("10.0.0.1", 2222), "[10.0.0.1]:2222");
    });

    it("matches plain, bracketed, wildcard and negated patterns", () => {
      assert.ok(hostPatternsMatch("a.example,10.0.0.1", "10.0.0.1"));
      assert.ok(!hostPatternsMatch("10.0.0.1", "[10.0.0.1]:2222"));
      assert.ok(hostPatternsMatch("[10.0.0.1]:2222", "[10.0.0.1]:2222"));
      assert.ok(hostPatternsMatch("*.example", "node1.example"));
      assert.ok(hostPatternsMatch("node?.example", "node1.example"));
      assert.ok(!hostPatternsMatch("*.example,!bad.example", "bad.example"));
      assert.ok(!hostPatternsMatch("10.0.0.1*", "10.0.0.2"));
    });

    it("finds entries hashed by ssh-keygen -H", () => {
      const file = join(dir, "known_hosts_hashed");
      writeFileSync(file, `[10.1.2.3]:2222 ${ed25519.line}\n10.1.2.3 ${ecdsa.line}\n`);
      execFileSync("ssh-keygen", ["-H", "-f", file], { stdio: "ignore" });
      const hashed = readFileSync(file, "utf8");
      assert.ok(!hashed.includes("10.1.2.3") && hashed.includes("|1|"), "ssh-keygen did not hash the file");
      const onPort2222 = knownHostsEntries(hashed, "10.1.2.3", 2222).keys;
      assert.equal(onPort2222.length, 1);
      assert.ok(onPort2222[0].kind === "key" && onPort2222[0].blob.equals(ed25519.blob));
      const onPort22 = knownHostsEntries(hashed, "10.1.2.3", 22).keys;
      assert.ok(onPort22.length === 1 && onPort22[0].kind === "key" && onPort22[0].blob.equals(ecdsa.blob));
      assert.equal(knownHostsEntries(hashed, "10.1.2.4", 22).keys.length, 0);
    });

    it("separates @revoked keys and skips @cert-authority lines", () => {
      const text = `@revoked 10.1.2.3 ${other.line}\n@cert-authority *.example ${ecdsa.line}\n10.1.2.3 ${ed25519.line}\n`;
      const entries = knownHostsEntries(text, "10.1.2.3", 22);
      assert.equal(entries.keys.length, 1);
      assert.equal(entries.revoked.length, 1);
      assert.equal(knownHostsEntries(text, "a.example", 22).keys.length, 0);
    });
  });

  describe("hostKeyPolicy", () => {
    it("accepts the pinned key and offers only its algorithm, so the server presents that key", () => {
      const policy = hostKeyPolicy({ ...settings, hostKey: ed25519.line });
      assert.deepEqual(policy.verify(ed25519.blob), { accepted: true });
      assert.deepEqual(policy.algorithms, ["ssh-ed25519"]);
    });

    it("accepts a pinned fingerprint without narrowing the algorithms (its key type is unknown)", () => {
      const policy = hostKeyPolicy({ ...settings, hostKey: ecdsa.fingerprint });
      assert.deepEqual(policy.verify(ecdsa.blob), { accepted: true });
      assert.equal(policy.algorithms, undefined);
    });

    it("rejects another key, naming both fingerprints", () => {
      const decision = hostKeyPolicy({ ...settings, hostKey: ed25519.line }).verify(other.blob);
      assert.equal(decision.accepted, false);
      assert.ok(!decision.accepted && decision.reason.includes(other.fingerprint));
      assert.ok(!decision.accepted && decision.reason.includes(ed25519.fingerprint));
    });

    it("uses the known_hosts file, and rejects a key it has revoked", () => {
      const file = join(dir, "known_hosts_policy");
      writeFileSync(file, `10.1.2.3 ${ed25519.line}\n@revoked * ${other.line}\n`);
      const policy = hostKeyPolicy({ ...settings, knownHostsFile: file });
      assert.deepEqual(policy.verify(ed25519.blob), { accepted: true });
      const revoked = policy.verify(other.blob);
      assert.ok(!revoked.accepted && /revoked/.test(revoked.reason));
      const unknownHost = hostKeyPolicy({ ...settings, host: "10.9.9.9", knownHostsFile: file }).verify(ed25519.blob);
      assert.ok(!unknownHost.accepted && unknownHost.reason.includes("no entry for 10.9.9.9"));
    });

    it("reports an unreadable known_hosts file when the policy is built, naming the file", () => {
      assert.throws(() => hostKeyPolicy({ ...settings, knownHostsFile: join(dir, "missing") }), /missing/);
    });

    it("refuses when nothing is pinned, explaining how to pin with ssh-keyscan", () => {
      const decision = hostKeyPolicy(settings).verify(ed25519.blob);
      assert.ok(!decision.accepted);
      assert.ok(!decision.accepted && decision.reason.includes("ssh-keyscan -p 22 '10.1.2.3'"));
      assert.ok(!decision.accepted && decision.reason.includes(ed25519.fingerprint));
    });

    describe("names the key the pin or file came from, and quotes what a printed command holds", () => {
      const sources = {
        hostKey: "workers[0].hostKey",
        knownHostsFile: "workers[0].knownHostsFile",
        insecureIgnoreHostKey: "workers[0].insecureIgnoreHostKey",
      };
      // An address no validation let through (state written before it refused such values) must stay inert text.
      const hostile = "10.1.2.3;touch /tmp/pwned";

      it("a pinned key that does not match: update workers[0].hostKey, not ssh.hostKey", () => {
        const decision = hostKeyPolicy({ ...settings, host: hostile, hostKey: ed25519.line, sources }).verify(
          other.blob,
        );
        assert.ok(!decision.accepted);
        assert.match(decision.reason, /but workers\[0\]\.hostKey expects .* update workers\[0\]\.hostKey \(/);
        assert.ok(!decision.reason.includes("ssh.hostKey"), decision.reason);
        assert.ok(decision.reason.includes(`ssh-keyscan -p 22 '10.1.2.3;touch /tmp/pwned'`), decision.reason);
      });

      it("nothing pinned: set workers[0].hostKey or workers[0].knownHostsFile", () => {
        const decision = hostKeyPolicy({ ...settings, host: hostile, sources }).verify(ed25519.blob);
        assert.ok(!decision.accepted);
        assert.match(decision.reason, /set workers\[0\]\.hostKey to a line of/);
        assert.match(decision.reason, /or set workers\[0\]\.knownHostsFile; workers\[0\]\.insecureIgnoreHostKey: true/);
        assert.ok(decision.reason.includes(`'10.1.2.3;touch /tmp/pwned'`), decision.reason);
      });

      it("a known_hosts file without the host: names its key and quotes the file in the command", () => {
        const file = join(dir, "known hosts; rm -rf ~");
        writeFileSync(file, `10.9.9.9 ${ed25519.line}\n`);
        const decision = hostKeyPolicy({ ...settings, knownHostsFile: file, sources }).verify(ed25519.blob);
        assert.ok(!decision.accepted);
        assert.ok(decision.reason.includes(`(workers[0].knownHostsFile) has no entry for 10.1.2.3`), decision.reason);
        assert.ok(
          decision.reason.endsWith(`>> '${file}'\` after checking the fingerprint on the host`),
          decision.reason,
        );
      });

      it("an unreadable pin names its key and shows a control character instead of printing it", () => {
        assert.throws(
          () => hostKeyPolicy({ ...settings, hostKey: "ssh-ed25519 \u001b[2Jx", sources }),
          (thrown: Error) =>
            thrown.message.startsWith("workers[0].hostKey: cannot read 'ssh-ed25519 \\u001b[2Jx'") &&
            !thrown.message.includes("\u001b"),
        );
      });
    });

    it("accepts anything with insecureIgnoreHostKey, even when a key is pinned", () => {
      const policy = hostKeyPolicy({ ...settings, hostKey: ed25519.line, insecureIgnoreHostKey: true });
      assert.deepEqual(policy.verify(other.blob), { accepted: true });
    });
  });
});
