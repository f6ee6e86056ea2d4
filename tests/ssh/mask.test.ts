import { strict as assert } from "assert";
import { execFileSync } from "child_process";
import { mkdtempSync, readFileSync, rmSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import fc from "fast-check";
import { LineSplitter, MIN_SECRET_LENGTH, SECRET_PLACEHOLDER, SecretMasker } from "../../ssh/mask";

function generatePrivateKey(): string {
  const dir = mkdtempSync(join(tmpdir(), "mask-key-"));
  try {
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-m", "PEM", "-f", join(dir, "k")]);
    return readFileSync(join(dir, "k"), "utf8");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Splits `text` at the given cut points (positions taken modulo the length). */
function chunksOf(text: string, cuts: number[]): string[] {
  const positions = [...new Set(cuts.map((c) => (text.length === 0 ? 0 : c % (text.length + 1))))].sort(
    (a, b) => a - b,
  );
  const chunks: string[] = [];
  let start = 0;
  for (const position of positions) {
    chunks.push(text.slice(start, position));
    start = position;
  }
  chunks.push(text.slice(start));
  return chunks;
}

function maskInChunks(masker: SecretMasker, chunks: string[]): string {
  const stream = masker.maskStream();
  return chunks.map((chunk) => stream.push(chunk)).join("") + stream.flush();
}

describe("SecretMasker", () => {
  it("replaces every occurrence of every secret", () => {
    const masker = new SecretMasker(["hunter2hunter2", "s3cr3t-value"]);
    assert.equal(
      masker.mask("a hunter2hunter2 b s3cr3t-value c hunter2hunter2"),
      `a ${SECRET_PLACEHOLDER} b ${SECRET_PLACEHOLDER} c ${SECRET_PLACEHOLDER}`,
    );
  });

  it("masks a bootstrap token whole, and its secret half when printed alone", () => {
    const masker = new SecretMasker(["abcdef.0123456789abcdef"]);
    assert.equal(masker.mask("--token abcdef.0123456789abcdef"), `--token ${SECRET_PLACEHOLDER}`);
    assert.equal(masker.mask("secret: 0123456789abcdef"), `secret: ${SECRET_PLACEHOLDER}`);
    // The id is public (kubeadm token list shows it) and useful in logs.
    assert.equal(masker.mask("token id abcdef"), "token id abcdef");
  });

  it(`ignores secrets shorter than ${MIN_SECRET_LENGTH} characters and empty ones`, () => {
    const masker = new SecretMasker(["", "root", "12345"]);
    assert.equal(masker.mask("root 12345"), "root 12345");
    assert.equal(masker.isEmpty, true);
  });

  it("prefers the longer secret when two start at the same place", () => {
    const masker = new SecretMasker(["password", "password-and-more"]);
    assert.equal(masker.mask("x password-and-more y"), `x ${SECRET_PLACEHOLDER} y`);
  });

  it("masks a whole PEM key, and its key lines when only part of it is printed", () => {
    const key = generatePrivateKey();
    const masker = new SecretMasker([key]);
    const masked = masker.mask(`before\n${key}after\n`);
    assert.equal(masked, `before\n${SECRET_PLACEHOLDER}after\n`);
    const bodyLines = key.split("\n").filter((line) => line !== "" && !line.startsWith("-----"));
    assert.ok(bodyLines.length > 0);
    const partial = masker.mask(`${key.split("\n")[0]}\n${bodyLines[0]}\n`);
    assert.ok(!partial.includes(bodyLines[0]), "a key line printed alone leaked");
    assert.ok(partial.startsWith("-----BEGIN"), "the public BEGIN marker need not be masked");
  });

  it("masks a kubeconfig and its embedded key data without hiding the surrounding YAML", () => {
    const clientKeyData = Buffer.from(generatePrivateKey()).toString("base64");
    const kubeconfig = [
      "apiVersion: v1",
      "clusters:",
      "- cluster:",
      "    server: https://10.0.0.1:6443",
      "  name: kubernetes",
      "users:",
      "- name: kubernetes-admin",
      "  user:",
      `    client-key-data: ${clientKeyData}`,
      "",
    ].join("\n");
    const masker = new SecretMasker([kubeconfig]);
    assert.equal(masker.mask(`cat:\n${kubeconfig}`), `cat:\n${SECRET_PLACEHOLDER}`);
    const grepped = masker.mask(`    client-key-data: ${clientKeyData}\n    server: https://10.0.0.1:6443\n`);
    assert.equal(grepped, `    client-key-data: ${SECRET_PLACEHOLDER}\n    server: https://10.0.0.1:6443\n`);
  });

  it("masks a secret with or without the trailing newline it was given with", () => {
    const masker = new SecretMasker(["line-secret-1\n"]);
    assert.equal(masker.mask("x line-secret-1 y"), `x ${SECRET_PLACEHOLDER} y`);
  });

  it("streams: output is the same however the text is cut into chunks", () => {
    const secrets = ["abcdef.0123456789abcdef", "pa'ss\nword$(x)", "aaaaaaab", "multi\nline\nsecret-value"];
    const masker = new SecretMasker(secrets);
    const text = fc
      .array(fc.oneof(fc.constantFrom(...secrets, "aaaa", "abcdef.", "\n", "pa'ss"), fc.string({ maxLength: 8 })), {
        maxLength: 12,
      })
      .map((parts) => parts.join(""));
    fc.assert(
      fc.property(text, fc.array(fc.nat(), { maxLength: 8 }), (input, cuts) => {
        const streamed = maskInChunks(masker, chunksOf(input, cuts));
        assert.equal(streamed, masker.mask(input));
        for (const secret of secrets) {
          assert.ok(!streamed.includes(secret), `${JSON.stringify(secret)} leaked from ${JSON.stringify(input)}`);
        }
      }),
      { numRuns: 500 },
    );
  });

  it("streams: a secret fed one character per chunk is masked, none of its characters emitted early", () => {
    const secret = "split-across-chunks";
    const stream = new SecretMasker([secret]).maskStream();
    const emitted = [...`x ${secret} y`].map((c) => stream.push(c));
    emitted.push(stream.flush());
    assert.equal(emitted.join(""), `x ${SECRET_PLACEHOLDER} y`);
  });

  it("streams: text that cannot start a secret is emitted at once", () => {
    const stream = new SecretMasker(["zzzzzzzz"]).maskStream();
    assert.equal(stream.push("hello\n"), "hello\n");
    assert.equal(stream.push("zzz"), "");
    assert.equal(stream.push("a"), "zzza");
  });

  it("masks long texts in reasonable time", () => {
    const masker = new SecretMasker([generatePrivateKey(), "abcdef.0123456789abcdef"]);
    const line = "kubelet: I1126 10:00:00.000000 1 server.go:123] some ordinary log line with data 0123456789\n";
    const started = Date.now();
    const stream = masker.maskStream();
    let output = "";
    for (let i = 0; i < 5000; i++) {
      output += stream.push(line);
    }
    output += stream.flush();
    assert.equal(output.length, line.length * 5000);
    assert.ok(Date.now() - started < 3000, `took ${Date.now() - started}ms`);
  });
});

describe("LineSplitter", () => {
  it("emits complete lines, joins lines split across chunks, drops CR before LF, and flushes the rest", () => {
    const lines: string[] = [];
    const splitter = new LineSplitter((line) => lines.push(line));
    splitter.push("one\r\ntw");
    splitter.push("o\n\nthr");
    assert.deepEqual(lines, ["one", "two", ""]);
    splitter.push("ee");
    splitter.flush();
    assert.deepEqual(lines, ["one", "two", "", "three"]);
    splitter.flush();
    assert.equal(lines.length, 4);
  });
});
