import { strict as assert } from "assert";
import { validateConfig } from "../../config/validate";
import { SUPPORTED_MINORS } from "../../config/version";
import { assertNoErrorAt, configWith, errorAt } from "./fixtures";

const VERSION_KEY = "pulumi-kubeadm:kubernetesVersion";

function withVersion(version: string) {
  return validateConfig(
    configWith((c) => {
      c.kubernetesVersion = version;
    }),
  );
}

describe("validateConfig: kubernetesVersion", () => {
  it("rejects the seed's stable-1.11 label, naming the supported range and the v1alpha1 era", () => {
    const message = errorAt(withVersion("stable-1.11"), VERSION_KEY);
    assert.match(message, new RegExp(`1\\.${SUPPORTED_MINORS.min}\\.x to 1\\.${SUPPORTED_MINORS.max}\\.x`));
    assert.match(message, /v1alpha1 MasterConfiguration/);
    assert.match(message, /exact release/);
  });

  it("rejects 1.12 as too old, with the era note", () => {
    const message = errorAt(withVersion("v1.12.2"), VERSION_KEY);
    assert.match(message, /Kubernetes 1\.12 is not supported/);
    assert.match(message, /v1alpha1/);
  });

  it("rejects a minor above the supported range without the era note", () => {
    const message = errorAt(withVersion(`1.${SUPPORTED_MINORS.max + 1}.0`), VERSION_KEY);
    assert.match(message, /is not supported/);
    assert.doesNotMatch(message, /v1alpha1/);
  });

  it("rejects a version without a patch number", () => {
    assert.match(errorAt(withVersion("1.35"), VERSION_KEY), /\[v\]MAJOR\.MINOR\.PATCH/);
  });

  it("accepts both ends of the supported range, with or without the v", () => {
    assertNoErrorAt(withVersion(`1.${SUPPORTED_MINORS.min}.0`), VERSION_KEY);
    assertNoErrorAt(withVersion(`v1.${SUPPORTED_MINORS.max}.2`), VERSION_KEY);
  });
});

describe("validateConfig: joinTokenTtl", () => {
  const KEY = "pulumi-kubeadm:joinTokenTtl";
  const withTtl = (ttl: string) =>
    validateConfig(
      configWith((c) => {
        c.joinTokenTtl = ttl;
      }),
    );

  it("rejects text that Go's ParseDuration would not read", () => {
    assert.match(errorAt(withTtl("15 minutes"), KEY), /not a Go duration: .*15m/);
  });

  it("rejects a zero TTL, which kubeadm reads as never expiring", () => {
    assert.match(errorAt(withTtl("0s"), KEY), /longer than 0/);
  });

  it("rejects more than 24h", () => {
    assert.match(errorAt(withTtl("24h1s"), KEY), /longer than 24h/);
  });

  it("accepts compound durations up to 24h", () => {
    assertNoErrorAt(withTtl("1h30m"), KEY);
    assertNoErrorAt(withTtl("24h"), KEY);
  });
});

describe("validateConfig: dnsDomain", () => {
  it("rejects uppercase letters, suggesting the form kubeadm accepts", () => {
    const result = validateConfig(
      configWith((c) => {
        c.dnsDomain = "Cluster.Local";
      }),
    );
    assert.match(errorAt(result, "pulumi-kubeadm:dnsDomain"), /lowercase.*cluster\.local/);
  });
});

describe("validateConfig: certificates.renewBeforeDays", () => {
  const KEY = "pulumi-kubeadm:certificates.renewBeforeDays";
  const withDays = (days: number) =>
    validateConfig(
      configWith((c) => {
        c.certificates = { renewBeforeDays: days };
      }),
    );

  it("warns that a window of a year or more renews at every up, and accepts it", () => {
    const result = withDays(400);
    assertNoErrorAt(result, KEY);
    const warning = result.warnings.find((w) => w.key === KEY);
    assert.ok(warning, JSON.stringify(result.warnings));
    assert.match(warning.message, /every pulumi up would renew them/);
  });

  it("takes a month without a word, and refuses what is not a whole number of days", () => {
    const result = withDays(30);
    assert.equal(result.ok, true);
    assert.deepEqual(
      result.warnings.filter((w) => w.key === KEY),
      [],
    );
    assert.match(errorAt(withDays(0), KEY), /.+/);
    assert.match(errorAt(withDays(2.5), KEY), /.+/);
  });
});
