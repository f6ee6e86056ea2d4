// A failed kubeadm step's message: one line per line the host printed, whatever control characters the host (or a
// value of the config it echoed) put inside them.
import { strict as assert } from "assert";
import { SecretMasker } from "../../ssh/mask";
import { stepFailure } from "../../providers/shared/step-errors";

describe("stepFailure", () => {
  it("shows control characters inside the target and the output's lines, masking secrets first", () => {
    // A secret holding a control character must still be found: masking comes before escaping.
    const token = "abcdef.0123456789abcdef\tx";
    const error = stepFailure({
      target: "worker01 (root@10.0.0.3\nerror: forged:22)",
      step: "kubeadm join",
      exitCode: 1,
      output: `error execution phase preflight: \u001b[2Jcleared\tscreen, token ${token}\n`,
      masker: new SecretMasker([token]),
    });
    assert.deepEqual(error.message.split("\n"), [
      "kubeadm join failed on worker01 (root@10.0.0.3\\nerror: forged:22) (exit status 1):",
      "  error execution phase preflight: \\u001b[2Jcleared\\tscreen, token [secret]",
    ]);
  });
});
