import { strict as assert } from "assert";
import {
  generateBootstrapToken,
  generateCertificateKey,
  isBootstrapToken,
  isCertificateKey,
  tokenId,
} from "../../kubeadm/token";

// k8s.io/cluster-bootstrap's BootstrapTokenRegexp, as quoted in kubeadm.md (Go's \A...\z anchors).
const KUBEADM_TOKEN = /^([a-z0-9]{6})\.([a-z0-9]{16})$/;

describe("bootstrap tokens", () => {
  const tokens = Array.from({ length: 10_000 }, generateBootstrapToken);

  it("match kubeadm's token format", () => {
    for (const token of tokens) assert.match(token, KUBEADM_TOKEN);
  });

  it("do not repeat, in the id or as a whole", () => {
    assert.equal(new Set(tokens).size, tokens.length);
    // 36^6 ≈ 2.2e9 ids: a collision among 10,000 has probability ~2%; more than one means a broken generator.
    assert.ok(tokens.length - new Set(tokens.map(tokenId)).size <= 1);
  });

  it("use every letter and digit with roughly equal frequency", () => {
    const counts = new Map<string, number>();
    for (const ch of tokens.join("").replace(/\./g, "")) counts.set(ch, (counts.get(ch) ?? 0) + 1);
    assert.equal(counts.size, 36);
    const expected = (tokens.length * 22) / 36;
    for (const [ch, n] of counts) {
      // A byte taken modulo 36 would favour 4 characters by ~14%; ±7% is still 5.5 standard deviations for
      // ~6,100 draws per character, so a fair generator does not trip it.
      assert.ok(Math.abs(n - expected) < expected * 0.07, `${ch} appeared ${n} times, expected about ${expected}`);
    }
  });

  it("isBootstrapToken accepts kubeadm's format and nothing else", () => {
    assert.ok(isBootstrapToken("abcdef.0123456789abcdef"));
    for (const bad of [
      "ABCDEF.0123456789abcdef",
      "abcdef.0123456789abcde",
      "abcdefg.0123456789abcdef",
      "abcdef0123456789abcdef",
      "abcdef.0123456789abcdef\n",
      " abcdef.0123456789abcdef",
      "abcd-f.0123456789abcdef",
    ]) {
      assert.equal(isBootstrapToken(bad), false, JSON.stringify(bad));
    }
  });

  it("tokenId returns the public half and refuses non-tokens without echoing them", () => {
    assert.equal(tokenId("a1b2c3.0123456789abcdef"), "a1b2c3");
    assert.throws(
      () => tokenId("secret.NOTATOKEN"),
      (err: Error) => !err.message.includes("NOTATOKEN"),
    );
  });
});

describe("certificate keys", () => {
  it("are 64 lowercase hex characters (32 bytes), as `kubeadm certs certificate-key` prints", () => {
    const keys = Array.from({ length: 200 }, generateCertificateKey);
    for (const key of keys) {
      assert.match(key, /^[0-9a-f]{64}$/);
      assert.ok(isCertificateKey(key));
    }
    assert.equal(new Set(keys).size, keys.length);
  });

  it("isCertificateKey refuses upper case and wrong lengths", () => {
    const key = generateCertificateKey();
    assert.equal(isCertificateKey(key.toUpperCase().replace(/^[0-9]/, "A")), false);
    assert.equal(isCertificateKey(key.slice(1)), false);
  });
});
