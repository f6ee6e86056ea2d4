import { strict as assert } from "assert";
import fc from "fast-check";
import { supportedMinors } from "../../config/kubeadm-facts";
import { compareVersions, parseReleaseVersion, upgradePath, type UpgradePath } from "../../kubeadm/upgrade-path";

const MIN = Math.min(...supportedMinors());
const MAX = Math.max(...supportedMinors());

function refusal(path: UpgradePath): string {
  assert.equal(path.kind, "refused", JSON.stringify(path));
  return (path as { problem: string }).problem;
}

describe("upgradePath", () => {
  it("has nothing to do for the same release, whether written with a 'v' or not", () => {
    for (const [from, to] of [
      ["1.35.4", "1.35.4"],
      ["v1.35.4", "1.35.4"],
      ["1.35.4", "v1.35.4"],
      ["v1.34.0", "v1.34.0"],
    ]) {
      assert.deepEqual(upgradePath(from, to), { kind: "none" }, `${from} -> ${to}`);
    }
  });

  it("upgrades to a later patch of the same minor, in kubeadm's 'v' form", () => {
    assert.deepEqual(upgradePath("1.35.1", "1.35.4"), { kind: "patch", from: "v1.35.1", to: "v1.35.4" });
    assert.deepEqual(upgradePath("v1.34.0", "1.34.10"), { kind: "patch", from: "v1.34.0", to: "v1.34.10" });
  });

  it("upgrades to any patch of exactly the next minor, an earlier patch number included", () => {
    assert.deepEqual(upgradePath("1.34.4", "1.35.0"), { kind: "minor", from: "v1.34.4", to: "v1.35.0" });
    assert.deepEqual(upgradePath("v1.34.9", "v1.35.2"), { kind: "minor", from: "v1.34.9", to: "v1.35.2" });
  });

  it("refuses a skipped minor, naming it and the steps one minor at a time", () => {
    assert.equal(
      refusal(upgradePath("1.34.4", "1.36.1")),
      "kubernetesVersion 1.36.1 skips 1.35 (the cluster runs 1.34.4): kubeadm upgrades one minor at a time; set " +
        "kubernetesVersion to a 1.35.x release first, run `pulumi up`, then 1.36.1",
    );
    assert.equal(
      refusal(upgradePath("v1.33.2", "v1.36.1")),
      "kubernetesVersion 1.36.1 skips 1.34 and 1.35 (the cluster runs 1.33.2): kubeadm upgrades one minor at a time; " +
        "set kubernetesVersion to a 1.34.x release first, run `pulumi up`, then a 1.35.x release, run `pulumi up`, " +
        "then 1.36.1",
    );
  });

  it("refuses a downgrade, of a patch or a minor, saying to put the version back", () => {
    assert.equal(
      refusal(upgradePath("1.35.4", "1.34.9")),
      "kubernetesVersion 1.34.9 is older than the cluster's 1.35.4: kubeadm cannot downgrade; put kubernetesVersion " +
        "back to 1.35.4 (or later)",
    );
    assert.match(refusal(upgradePath("v1.35.4", "1.35.3")), /^kubernetesVersion 1\.35\.3 is older than .* 1\.35\.4:/);
  });

  it("refuses a target minor whose kubeadm was not read, naming the supported range and what can be done", () => {
    const problem = refusal(upgradePath(`1.${MAX}.2`, `1.${MAX + 1}.0`));
    assert.equal(
      problem,
      `kubernetesVersion 1.${MAX + 1}.0: Kubernetes 1.${MAX + 1} is not supported: supported versions are ` +
        `1.${MIN}.x to 1.${MAX}.x, the releases whose kubeadm this program was checked against; keep ` +
        `kubernetesVersion at 1.${MAX}.2, or set it to a later 1.${MAX}.x release`,
    );
    // Downgrading below the range is unsupported before it is a downgrade: the range is the first thing to know.
    assert.match(refusal(upgradePath(`1.${MIN}.3`, `1.${MIN - 1}.9`)), new RegExp(`Kubernetes 1\\.${MIN - 1} is not`));
    assert.match(refusal(upgradePath("1.35.4", "2.0.0")), /Kubernetes 2\.0 is not supported/);
  });

  it("upgrades away from a minor it no longer installs, and says which step is left to kubeadm by hand", () => {
    assert.deepEqual(upgradePath(`1.${MIN - 1}.9`, `1.${MIN}.1`), {
      kind: "minor",
      from: `v1.${MIN - 1}.9`,
      to: `v1.${MIN}.1`,
    });
    assert.equal(
      refusal(upgradePath(`1.${MIN - 2}.3`, `1.${MIN + 1}.0`)),
      `kubernetesVersion 1.${MIN + 1}.0 skips 1.${MIN - 1} and 1.${MIN} (the cluster runs 1.${MIN - 2}.3): kubeadm ` +
        `upgrades one minor at a time; upgrade the cluster to a 1.${MIN - 1}.x release by hand (kubeadm upgrade ` +
        `apply; this program does not install Kubernetes 1.${MIN - 1}), then set kubernetesVersion to a ` +
        `1.${MIN}.x release, run \`pulumi up\`, then 1.${MIN + 1}.0`,
    );
  });

  it("refuses versions that are not releases, naming the one at fault", () => {
    assert.match(refusal(upgradePath("1.35.4", "1.36")), /^kubernetesVersion '1\.36' is not an exact release/);
    assert.match(refusal(upgradePath("1.35.4", "latest")), /'latest'.*write one such as v1\.35\.4/);
    assert.match(refusal(upgradePath("1.36.0-rc.1", "1.36.1")), /^the cluster's version '1\.36\.0-rc\.1' is not/);
  });

  it("reads an API server's gitVersion with build metadata, but no pre-release", () => {
    assert.deepEqual(parseReleaseVersion("v1.35.4+build.7"), { major: 1, minor: 35, patch: 4 });
    assert.equal(parseReleaseVersion("v1.35.4-rc.1"), undefined);
    assert.equal(parseReleaseVersion("v0.0.0-master+$Format:%H$"), undefined);
    assert.deepEqual(upgradePath("v1.35.4+build.7", "1.36.0"), { kind: "minor", from: "v1.35.4", to: "v1.36.0" });
  });

  describe("any pair of releases", () => {
    const release = fc.record({
      minor: fc.integer({ min: MIN - 3, max: MAX + 2 }),
      patch: fc.integer({ min: 0, max: 25 }),
      v: fc.boolean(),
    });
    const text = (r: { minor: number; patch: number; v: boolean }) => `${r.v ? "v" : ""}1.${r.minor}.${r.patch}`;

    it("follows the rules: equal none; a later patch or the next minor allowed; all else refused", () => {
      fc.assert(
        fc.property(release, release, (a, b) => {
          const path = upgradePath(text(a), text(b));
          const order = compareVersions({ major: 1, ...a }, { major: 1, ...b });
          const supported = b.minor >= MIN && b.minor <= MAX;
          let expected: UpgradePath["kind"];
          if (order === 0) expected = "none";
          else if (!supported || order > 0) expected = "refused";
          else if (a.minor === b.minor) expected = "patch";
          else if (b.minor === a.minor + 1) expected = "minor";
          else expected = "refused";
          assert.equal(path.kind, expected, `${text(a)} -> ${text(b)}: ${JSON.stringify(path)}`);
          if (path.kind === "patch" || path.kind === "minor") {
            assert.equal(path.from, `v1.${a.minor}.${a.patch}`);
            assert.equal(path.to, `v1.${b.minor}.${b.patch}`);
          }
        }),
        { numRuns: 2000 },
      );
    });

    it("names the rule in every refusal and always gives a way forward", () => {
      fc.assert(
        fc.property(release, release, (a, b) => {
          const path = upgradePath(text(a), text(b));
          if (path.kind !== "refused") return;
          const rule = /not supported|cannot downgrade|one minor at a time/.exec(path.problem)?.[0];
          assert.ok(rule, path.problem);
          assert.match(path.problem, /keep kubernetesVersion at|put kubernetesVersion back|set kubernetesVersion to/);
          // The refusal shows versions without the "v", however the config wrote them.
          assert.doesNotMatch(path.problem, /\bv1\./, path.problem);
          if (rule === "one minor at a time") {
            assert.match(path.problem, new RegExp(`then (set kubernetesVersion to )?1\\.${b.minor}\\.${b.patch}$`));
          }
        }),
        { numRuns: 2000 },
      );
    });
  });
});
