import { strict as assert } from "assert";
import * as fs from "fs";
import { caCertHash } from "../../kubeadm/ca-hash";
import { opensslCaCertHash, opensslSelfSignedCa } from "./openssl";
import { tempDir } from "./real-kubeadm";

describe("caCertHash", () => {
  let dir: string;
  let cleanup: () => void;
  before(() => ({ dir, cleanup } = tempDir("ca-hash-")));
  after(() => cleanup());

  for (const keyType of ["rsa", "ecdsa"] as const) {
    it(`equals openssl's SPKI SHA-256 for an ${keyType.toUpperCase()} CA`, () => {
      const { certFile } = opensslSelfSignedCa(dir, keyType);
      const ours = caCertHash(fs.readFileSync(certFile, "utf8"));
      assert.match(ours, /^sha256:[0-9a-f]{64}$/);
      assert.equal(ours, opensslCaCertHash(certFile));
    });
  }

  it("differs between two CAs", () => {
    const a = opensslSelfSignedCa(dir, "rsa");
    const first = caCertHash(fs.readFileSync(a.certFile, "utf8"));
    const b = opensslSelfSignedCa(dir, "rsa");
    assert.notEqual(caCertHash(fs.readFileSync(b.certFile, "utf8")), first);
  });

  it("rejects text that is not a certificate", () => {
    assert.throws(() => caCertHash("-----BEGIN CERTIFICATE-----\nnope\n-----END CERTIFICATE-----\n"));
  });
});
