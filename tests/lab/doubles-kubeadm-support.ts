// Runs the lab's kubeadm/kubectl doubles as subprocesses against temp "hosts" (LAB_FS_ROOT per host), with the
// real kubeadm as $LAB_ROOT/tools/kubeadm and API daemons on loopback addresses.
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { repoRoot } from "../../tools/paths";
import { openssl } from "../kubeadm/openssl";

export const DOUBLES = path.join(repoRoot, "lab", "doubles");
export const KUBEADM = path.join(DOUBLES, "packages", "kubeadm", "usr", "bin", "kubeadm");
export const KUBECTL = path.join(DOUBLES, "packages", "kubectl", "usr", "bin", "kubectl");

export interface Result {
  status: number | null;
  stdout: string;
  stderr: string;
}

export interface TestHost {
  name: string;
  root: string;
  env: NodeJS.ProcessEnv;
  run(tool: "kubeadm" | "kubectl", args: string[], input?: string): Result;
  file(p: string): string;
  exists(p: string): boolean;
  write(p: string, content: string): void;
  node(script: string): string;
}

export interface TestLab {
  dir: string;
  labRoot: string;
  host(name: string, opts?: { ipForward?: string; containerd?: boolean }): TestHost;
  setClock(seconds: number): void;
  cleanup(): void;
}

export function createLab(kubeadmBinary: string, settings: Record<string, number> = {}): TestLab {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lab-kubeadm-"));
  const labRoot = path.join(dir, "lab");
  fs.mkdirSync(path.join(labRoot, "tools"), { recursive: true });
  fs.symlinkSync(DOUBLES, path.join(labRoot, "doubles"));
  fs.symlinkSync(kubeadmBinary, path.join(labRoot, "tools", "kubeadm"));
  fs.writeFileSync(
    path.join(labRoot, "settings.json"),
    JSON.stringify({
      discoveryTimeoutSeconds: 2,
      discoveryRetrySeconds: 0.5,
      kubeletHealthTimeoutSeconds: 2,
      ...settings,
    }),
  );
  const hosts: TestHost[] = [];

  function host(name: string, opts: { ipForward?: string; containerd?: boolean } = {}): TestHost {
    const root = path.join(dir, name);
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: "/root",
      LAB_ROOT: labRoot,
      LAB_FS_ROOT: root,
      LAB_STATE: path.join(dir, `${name}-state`),
      LAB_LOG: path.join(dir, `${name}-log`),
      LAB_PROC_SYS: path.join(dir, `${name}-proc`),
      LAB_HOST: name,
    };
    fs.mkdirSync(path.join(root, "usr", "bin"), { recursive: true });
    fs.mkdirSync(path.join(env.LAB_PROC_SYS as string, "net", "ipv4"), { recursive: true });
    fs.writeFileSync(path.join(env.LAB_PROC_SYS as string, "net", "ipv4", "ip_forward"), `${opts.ipForward ?? "1"}\n`);
    fs.writeFileSync(path.join(root, "usr", "bin", "kubelet"), '#!/bin/sh\necho "Kubernetes v1.35.4"\n', {
      mode: 0o755,
    });
    const h: TestHost = {
      name,
      root,
      env,
      run(tool, args, input) {
        const r = spawnSync(tool === "kubeadm" ? KUBEADM : KUBECTL, args, {
          env,
          encoding: "utf8",
          input: input ?? "",
          timeout: 60_000,
        });
        if (r.error) throw r.error;
        return { status: r.status, stdout: r.stdout, stderr: r.stderr };
      },
      file: (p) => fs.readFileSync(path.join(root, p), "utf8"),
      exists: (p) => fs.existsSync(path.join(root, p)),
      write(p, content) {
        fs.mkdirSync(path.dirname(path.join(root, p)), { recursive: true });
        fs.writeFileSync(path.join(root, p), content);
      },
      node(script) {
        const r = spawnSync(process.execPath, ["-e", script], { env, encoding: "utf8" });
        if (r.status !== 0) throw new Error(`node helper failed: ${r.stderr}`);
        return r.stdout;
      },
    };
    if (opts.containerd !== false)
      h.node(`require(${JSON.stringify(path.join(DOUBLES, "lib", "units.js"))}).start("containerd.service")`);
    hosts.push(h);
    return h;
  }

  return {
    dir,
    labRoot,
    host,
    setClock(seconds) {
      fs.writeFileSync(path.join(labRoot, "clock"), `${seconds}\n`);
    },
    cleanup() {
      for (const h of hosts) {
        for (const pidFile of ["apiserver.pid"]) {
          try {
            process.kill(
              Number(fs.readFileSync(path.join(h.env.LAB_STATE as string, pidFile), "utf8").trim()),
              "SIGKILL",
            );
          } catch {
            /* not running */
          }
        }
        try {
          h.node(`require(${JSON.stringify(path.join(DOUBLES, "lib", "units.js"))}).stop("containerd.service")`);
        } catch {
          /* ignore */
        }
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A loopback address and a port free on it. */
export async function loopbackEndpoint(): Promise<{ address: string; port: number }> {
  const address = `127.0.${Math.floor(Math.random() * 200) + 20}.${Math.floor(Math.random() * 200) + 20}`;
  const port = await new Promise<number>((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen({ host: address, port: 0 }, () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
  return { address, port };
}

export function initConfig(opts: {
  address: string;
  port: number;
  token?: string;
  nodeName?: string;
  controlPlaneEndpoint?: boolean;
  taints?: string;
  imageRepository?: string;
  certificateKey?: string;
}): string {
  return `apiVersion: kubeadm.k8s.io/v1beta4
kind: InitConfiguration
bootstrapTokens:
- token: "${opts.token ?? "abcdef.0123456789abcdef"}"
  ttl: "24h"
  description: "pulumi-kubeadm join token"
  usages: [signing, authentication]
  groups: [system:bootstrappers:kubeadm:default-node-token]
localAPIEndpoint:
  advertiseAddress: "${opts.address}"
  bindPort: ${opts.port}
nodeRegistration:
  name: "${opts.nodeName ?? "master01"}"
  criSocket: "unix:///var/run/containerd/containerd.sock"
${opts.taints !== undefined ? `  taints: ${opts.taints}\n` : ""}${opts.certificateKey ? `certificateKey: "${opts.certificateKey}"\n` : ""}---
apiVersion: kubeadm.k8s.io/v1beta4
kind: ClusterConfiguration
kubernetesVersion: "v1.35.4"
${opts.controlPlaneEndpoint === false ? "" : `controlPlaneEndpoint: "${opts.address}:${opts.port}"\n`}imageRepository: "${opts.imageRepository ?? "registry.k8s.io"}"
networking:
  podSubnet: "10.244.0.0/16"
---
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
cgroupDriver: systemd
`;
}

/** Parses the worker join command out of `kubeadm init` output. */
export function workerJoin(initOut: string): { endpoint: string; token: string; hash: string; raw: string } {
  const m = /\n(kubeadm join (\S+) --token (\S+) \\\n\t--discovery-token-ca-cert-hash (sha256:[0-9a-f]{64}) )\n$/.exec(
    initOut,
  );
  if (!m) throw new Error(`no worker join command in:\n${initOut}`);
  return { raw: m[1], endpoint: m[2], token: m[3], hash: m[4] };
}

/** The certificate key `kubeadm init --upload-certs` or `kubeadm init phase upload-certs` printed. */
export function certificateKeyFrom(output: string): string {
  const lines = output.split("\n");
  return lines[lines.indexOf("[upload-certs] Using certificate key:") + 1];
}

/** `kubeadm join` through the endpoint with the token and CA hash of `join` (see workerJoin), then `extra`. */
export function joinArgs(join: { endpoint: string; token: string; hash: string }, ...extra: string[]): string[] {
  return ["join", join.endpoint, "--token", join.token, "--discovery-token-ca-cert-hash", join.hash, ...extra];
}

/** Writes a CA into the host's /etc/kubernetes/pki, as the product provides one: kubeadm init must reuse it. */
export function writeExternalCa(host: TestHost): { certPath: string } {
  const pki = path.join(host.root, "etc/kubernetes/pki");
  fs.mkdirSync(pki, { recursive: true });
  const certPath = path.join(pki, "ca.crt");
  openssl([
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-subj",
    "/CN=kubernetes",
    "-days",
    "3650",
    "-addext",
    "basicConstraints=critical,CA:TRUE",
    "-addext",
    "keyUsage=critical,digitalSignature,keyEncipherment,keyCertSign",
    "-keyout",
    path.join(pki, "ca.key"),
    "-out",
    certPath,
  ]);
  return { certPath };
}

/**
 * stderr without kubeadm's preflight warnings: a test host has containerd 1.x (the ContainerRuntimeVersion
 * warning) and a kubelet binary without its unit (Service-Kubelet), as kubeadm would say before any error.
 */
export function withoutWarnings(stderr: string): string {
  return stderr
    .split("\n")
    .filter((l) => !l.startsWith("\t[WARNING "))
    .join("\n");
}
