// Values that cannot be right, refused before anything runs (issue 16, point 7): what used to be accepted and then
// broke a host's file, a flag or a connection only at `up`.
import { strict as assert } from "assert";
import { generateKeyPairSync } from "crypto";
import * as fs from "fs";
import { execFileSync } from "child_process";
import { validateConfig } from "../../config/validate";
import type { ClusterConfigInput } from "../../config/schema";
import { shownValue } from "../../config/problem";
import {
  assertNoErrorAt,
  assertValid,
  configWith,
  errorAt,
  errorsAt,
  tempDir,
  validateWith,
  writeFile,
} from "./fixtures";

/** Every message is one line: a value's line break must not start a forged line of the report. */
function assertOneLine(message: string): void {
  assert.doesNotMatch(message, /[\n\r]/, message);
}

describe("validateConfig: values that would break out of their word or line on the hosts", () => {
  const cases: Array<{ key: string; value: string; change: (c: ClusterConfigInput, value: string) => void }> = [
    {
      key: "apiServer.extraArgs.audit-log-path",
      value: "/var/log/audit.log\n--anonymous-auth=true",
      change: (c, v) => (c.apiServer!.extraArgs!["audit-log-path"] = v),
    },
    {
      key: "kubelet.extraArgs.v",
      value: "2 --fail-swap-on=false",
      change: (c, v) => (c.kubelet = { extraArgs: { v } }),
    },
    {
      key: "packages.yum.kubernetesRepository",
      value: "https://mirrors.aliyun.com/kubernetes-new/core/stable/v1.35/rpm/\ngpgcheck=0",
      change: (c, v) => (c.packages!.yum!.kubernetesRepository = v),
    },
    {
      key: "packages.apt.kubernetesKeyUrl",
      value: "https://mirrors.aliyun.com/Release.key trusted=yes",
      change: (c, v) => (c.packages!.apt!.kubernetesKeyUrl = v),
    },
    {
      key: 'containerd.registryMirrors["docker.io"][0]',
      value: "https://docker.m.daocloud.io\tx",
      change: (c, v) => (c.containerd!.registryMirrors!["docker.io"] = [v]),
    },
    {
      key: "addons.rookCeph.dataDirHostPath",
      value: "/var/lib/rook\n",
      change: (c, v) => (c.addons = { rookCeph: { dataDirHostPath: v } }),
    },
    { key: "ssh.user", value: "ops admin", change: (c, v) => (c.ssh!.user = v) },
    { key: "workers[0].bastion.address", value: "$(touch /tmp/x)", change: (c, v) => bastionAt(c, v) },
  ];
  for (const { key, value, change } of cases) {
    it(`refuses ${JSON.stringify(value)} at ${key}, naming the key and showing the value once`, () => {
      const problems = errorsAt(
        validateWith((c) => change(c, value)),
        `pulumi-kubeadm:${key}`,
      );
      assert.equal(problems.length, 1, JSON.stringify(problems));
      const message = problems[0].message;
      assertOneLine(message);
      assert.equal(message.split(shownValue(value)).length - 1, 1, message);
      assert.match(message, /contains (whitespace|a line break|a control character)/);
    });
  }

  it("keeps spaces in paths on the machine running Pulumi, and refuses line breaks there", () => {
    const dir = tempDir("pulumi kubeadm ");
    try {
      writeFile(
        dir,
        "id key",
        generateKeyPairSync("ec", { namedCurve: "P-256" })
          .privateKey.export({ type: "sec1", format: "pem" })
          .toString(),
      );
      const result = validateConfig(
        configWith((c) => (c.ssh = { privateKeyFile: `${dir}/id key`, knownHostsFile: "/home/a b/known_hosts" })),
      );
      assertNoErrorAt(result, "pulumi-kubeadm:ssh.privateKeyFile");
      assertNoErrorAt(result, "pulumi-kubeadm:ssh.knownHostsFile");
      const broken = validateWith((c) => (c.ssh!.knownHostsFile = "/root/.ssh/known_hosts\n/etc/passwd"));
      assert.match(errorAt(broken, "pulumi-kubeadm:ssh.knownHostsFile"), /contains a line break/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("accepts an empty flag value and list flags written with commas", () => {
    assertValid(
      validateWith((c) => {
        c.apiServer!.extraArgs!["enable-admission-plugins"] = "NodeRestriction,PodSecurity";
        c.apiServer!.extraArgs!["audit-policy-file"] = "";
      }),
    );
  });
});

function bastionAt(c: ClusterConfigInput, address: string, port?: number): void {
  c.workers![0].bastion = { address, ...(port === undefined ? {} : { port }), insecureIgnoreHostKey: true };
}

describe("validateConfig: rookCeph.dataDirHostPath", () => {
  const key = "pulumi-kubeadm:addons.rookCeph.dataDirHostPath";
  const withPath = (dataDirHostPath: string) =>
    validateWith((c) => (c.addons = { rookCeph: { enabled: true, dataDirHostPath } }));

  it("refuses a relative path, naming the form Rook wants", () => {
    assert.match(errorAt(withPath("var/lib/rook"), key), /'var\/lib\/rook' is not an absolute path.*\/var\/lib\/rook/);
  });

  it("refuses a path that is not in its plain form, with the plain form as the fix", () => {
    assert.match(errorAt(withPath("/var/lib/../lib/rook/"), key), /write '\/var\/lib\/rook'/);
  });

  it("refuses a system directory, which Rook's cleanup would empty", () => {
    for (const system of ["/", "/var", "/etc"]) assert.match(errorAt(withPath(system), key), /system directory/);
  });

  it("accepts a directory of its own", () => {
    assertNoErrorAt(withPath("/var/lib/rook"), key);
    assertNoErrorAt(withPath("/data/rook"), key);
  });
});

describe("validateConfig: private keys ssh2 cannot read", () => {
  function ecKey(passphrase?: string): string {
    const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const options = passphrase ? { cipher: "aes-128-cbc", passphrase } : {};
    return privateKey.export({ type: "sec1", format: "pem", ...options }).toString();
  }

  it("refuses text that is not a key, without quoting it", () => {
    const message = errorAt(
      validateWith((c) => (c.ssh!.privateKey = "paste-your-key-here")),
      "pulumi-kubeadm:ssh.privateKey",
    );
    assert.match(message, /is not a private key ssh2 can read/);
    assert.ok(!message.includes("paste-your-key-here"));
  });

  it("refuses a public key given as the private key", () => {
    const publicKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEfr4UWwSHVc26uK4aYOQ3Xgh0UCVsLpb2XPIaBvMc90";
    assert.match(
      errorAt(
        validateWith((c) => (c.workers![1].privateKey = publicKey)),
        "pulumi-kubeadm:workers[1].privateKey",
      ),
      /holds a public key/,
    );
  });

  it("asks for the passphrase of an encrypted key, and says which passphrase key is wrong", () => {
    const encrypted = ecKey("right");
    assert.match(
      errorAt(
        validateWith((c) => (c.ssh!.privateKey = encrypted)),
        "pulumi-kubeadm:ssh.privateKey",
      ),
      /encrypted and no passphrase is set: .*--secret --path 'ssh\.privateKeyPassword'/,
    );
    const wrong = validateWith((c) => {
      c.ssh!.privateKey = encrypted;
      c.workers![0].privateKeyPassword = "wrong";
    });
    // The key is shared: controlPlane[0] has no passphrase for it, workers[0] the wrong one.
    const messages = errorsAt(wrong, "pulumi-kubeadm:ssh.privateKey").map((problem) => problem.message);
    assert.ok(
      messages.some((message) => /cannot be decrypted with workers\[0\]\.privateKeyPassword/.test(message)),
      messages.join("\n"),
    );
    assertValid(
      validateWith((c) => {
        c.ssh!.privateKey = encrypted;
        c.ssh!.privateKeyPassword = "right";
      }),
    );
  });

  it("reads a privateKeyFile as ssh2 would, and reports a shared key once, where it was set", () => {
    const dir = tempDir();
    try {
      const file = writeFile(dir, "id_rsa", "-----BEGIN RSA PRIVATE KEY-----\ntruncated\n");
      const result = validateWith((c) => {
        delete c.ssh!.privateKey;
        c.ssh!.privateKeyFile = file;
      });
      const problems = errorsAt(result, "pulumi-kubeadm:ssh.privateKeyFile");
      assert.equal(problems.length, 1, JSON.stringify(problems));
      assert.match(problems[0].message, new RegExp(`${file} is not a private key ssh2 can read`));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("accepts a key made by ssh-keygen, with and without a passphrase", () => {
    const dir = tempDir();
    try {
      execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", `${dir}/plain`]);
      execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "secret words", "-a", "4", "-f", `${dir}/locked`]);
      assertValid(validateWith((c) => (c.ssh = { privateKey: fs.readFileSync(`${dir}/plain`, "utf8") })));
      assertValid(
        validateWith((c) => (c.ssh = { privateKeyFile: `${dir}/locked`, privateKeyPassword: "secret words" })),
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("validateConfig: bastions", () => {
  it("refuses a bastion that is the host itself", () => {
    const message = errorAt(
      validateWith((c) => bastionAt(c, "192.0.2.11")),
      "pulumi-kubeadm:workers[0].bastion.address",
    );
    assert.match(message, /is workers\[0\] \(worker01\) itself: .*remove bastion/);
  });

  it("accepts the host's address on another port (a jump host behind the same NAT address)", () => {
    assertNoErrorAt(
      validateWith((c) => bastionAt(c, "192.0.2.11", 2222)),
      "pulumi-kubeadm:workers[0].bastion.address",
    );
  });

  it("refuses a login or a port inside the address, pointing at the bastion's own keys", () => {
    assert.match(
      errorAt(
        validateWith((c) => bastionAt(c, "ops@198.51.100.1")),
        "pulumi-kubeadm:workers[0].bastion.address",
      ),
      /contains a login name: put it in workers\[0\]\.bastion\.user/,
    );
    assert.match(
      errorAt(
        validateWith((c) => bastionAt(c, "198.51.100.1:2222")),
        "pulumi-kubeadm:workers[0].bastion.address",
      ),
      /contains a port: put it in workers\[0\]\.bastion\.port/,
    );
  });

  it("quotes the address inside the ssh-keyscan fix, and scans the configured port", () => {
    const message = errorAt(
      validateWith((c) => {
        c.workers![0].bastion = { address: "jump.example.com", port: 2222 };
      }),
      "pulumi-kubeadm:workers[0].bastion",
    );
    assert.match(message, /"\$\(ssh-keyscan -p 2222 -t ed25519 'jump\.example\.com' 2>\/dev\/null/);
  });
});
