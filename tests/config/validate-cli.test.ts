import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { main } from "../../config/validate-cli";
import { ed25519HostKey } from "./fixtures";

const REPO_ROOT = path.resolve(__dirname, "..", "..");

function validStack(): string {
  return `config:
  pulumi-kubeadm:controlPlane:
    - name: master01
      address: 192.0.2.10
      hostKey: ${ed25519HostKey()}
  pulumi-kubeadm:workers:
    - {name: worker01, address: 192.0.2.11, hostKey: "${ed25519HostKey()}"}
    - {name: worker02, address: 192.0.2.12, hostKey: "${ed25519HostKey()}"}
  pulumi-kubeadm:ssh:
    user: root
    privateKey:
      secure: v1:c2VjcmV0
  pulumi-kubeadm:imageRepository: registry.aliyuncs.com/google_containers
  pulumi-kubeadm:packages:
    apt: {kubernetesRepository: "https://mirrors.aliyun.com/kubernetes-new/core/stable/v1.35/deb/"}
    yum: {kubernetesRepository: "https://mirrors.aliyun.com/kubernetes-new/core/stable/v1.35/rpm/"}
  pulumi-kubeadm:containerd:
    registryMirrors:
      docker.io: ["https://docker.m.daocloud.io"]
  pulumi-kubeadm:controllerManager:
    extraArgs: {horizontal-pod-autoscaler-sync-period: 10s, node-monitor-grace-period: 10s}
  pulumi-kubeadm:apiServer:
    extraArgs: {runtime-config: api/all=true}
  pulumi-kubeadm:schedulableControlPlane: true
`;
}

function invalidStack(): string {
  return validStack()
    .replace("address: 192.0.2.12", "address: 192.0.2.11")
    .replace("horizontal-pod-autoscaler-sync-period", "horizontal-pod-autoscaler-use-rest-clients");
}

function run(args: string[], cwd: string) {
  const out: string[] = [];
  const err: string[] = [];
  const status = main(args, { stdout: (l) => out.push(l), stderr: (l) => err.push(l), cwd });
  return { status, stdout: out.join("\n"), stderr: err.join("\n") };
}

describe("validate CLI", () => {
  let dir: string;

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "pulumi-kubeadm-cli-"));
    fs.writeFileSync(path.join(dir, "Pulumi.dev.yaml"), validStack());
    fs.writeFileSync(path.join(dir, "Pulumi.broken.yaml"), invalidStack());
  });

  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("exits 0 with a one-line summary for a valid stack", () => {
    const result = run(["Pulumi.dev.yaml"], dir);
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stdout, "Pulumi.dev.yaml: valid (1 control-plane node, 2 workers)");
  });

  it("exits 1 and prints one error line per problem, each naming its key", () => {
    const result = run(["Pulumi.broken.yaml"], dir);
    assert.equal(result.status, 1);
    const errors = result.stderr.split("\n").filter((line) => line.startsWith("error: "));
    assert.deepEqual(
      errors.map((line) => line.split(": ")[1]),
      [
        "pulumi-kubeadm:workers[1].address",
        "pulumi-kubeadm:controllerManager.extraArgs.horizontal-pod-autoscaler-use-rest-clients",
      ],
    );
    assert.match(result.stderr, /Pulumi\.broken\.yaml: invalid \(2 errors\)/);
  });

  it("exits 2 without an argument, and with a missing file naming the path tried", () => {
    assert.equal(run([], dir).status, 2);
    const missing = run(["Pulumi.nope.yaml"], dir);
    assert.equal(missing.status, 2);
    assert.ok(missing.stderr.includes(path.join(dir, "Pulumi.nope.yaml")), missing.stderr);
  });

  it("behaves the same as a real process: exit codes 0, 1 and 2 through ts-node", () => {
    const cli = path.join(REPO_ROOT, "config", "validate-cli.ts");
    const tsNode = path.join(REPO_ROOT, "node_modules", "ts-node", "dist", "bin.js");
    // Under `npm test`, INIT_CWD would point the CLI at the repository instead of `dir`.
    const env = { ...process.env };
    delete env.INIT_CWD;
    const spawn = (file: string) =>
      spawnSync(process.execPath, [tsNode, "--transpile-only", cli, file], { cwd: dir, env, encoding: "utf8" });
    const valid = spawn("Pulumi.dev.yaml");
    assert.equal(valid.status, 0, valid.stderr);
    assert.match(valid.stdout, /^Pulumi\.dev\.yaml: valid \(1 control-plane node, 2 workers\)\n$/);
    const invalid = spawn("Pulumi.broken.yaml");
    assert.equal(invalid.status, 1);
    assert.match(invalid.stderr, /^error: pulumi-kubeadm:workers\[1\]\.address: /m);
    const missing = spawn(path.join(dir, "absent.yaml"));
    assert.equal(missing.status, 2);
    assert.ok(missing.stderr.includes(path.join(dir, "absent.yaml")));
  });
});
