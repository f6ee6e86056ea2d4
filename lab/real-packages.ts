// What the lab's package mirrors deliver to a real node: the real binaries, where the distributions' packages
// put them. The package managers stay doubles (no distribution's archive can be reached from here), but what
// they install is real: containerd, runc and the CNI plugins from Debian's packages on the machine, kubeadm,
// kubelet and kubectl of the pinned version and crictl as tools/setup builds them. A tree here is copied over
// the package double's tree of the same name (lab/doubles/packages/<name>/, whose unit files are the
// distributions' own), so the binary is real and the rest stays the package's. kubeadm, kubelet and kubectl also
// have a tree at KUBERNETES_PREVIOUS_VERSION, `<name>@<version>`, which the package doubles install when that
// version is asked for (lab/doubles/lib/packages.js, realTree): an upgrade starts from real binaries one minor
// below the pinned ones.
import * as fs from "fs";
import * as path from "path";
import { pinnedVersions, toolCache } from "../tools/paths";
import { linkOrCopy } from "./hosts/mounts";

/** Package name → (path on the host → file on the machine). */
export function realPackageFiles(versions = pinnedVersions()): Record<string, Record<string, string>> {
  const cache = toolCache();
  const kubernetes = path.join(cache, `kubernetes-v${versions.KUBERNETES_VERSION}`, "bin");
  const previous = versions.KUBERNETES_PREVIOUS_VERSION;
  const previousBin = path.join(cache, `kubernetes-v${previous}`, "bin");
  const crictl = path.join(cache, `cri-tools-v${versions.CRI_TOOLS_VERSION}`, "bin", "crictl");
  const containerdBinaries = [
    "containerd",
    "containerd-shim",
    "containerd-shim-runc-v1",
    "containerd-shim-runc-v2",
    "ctr",
  ];
  const containerd = Object.fromEntries(containerdBinaries.map((b) => [`usr/bin/${b}`, `/usr/bin/${b}`]));
  const runc = machineBinary("runc");
  const cniPlugins = fs.existsSync("/usr/lib/cni") ? fs.readdirSync("/usr/lib/cni") : [];
  return {
    kubeadm: { "usr/bin/kubeadm": path.join(kubernetes, "kubeadm") },
    kubelet: { "usr/bin/kubelet": path.join(kubernetes, "kubelet") },
    kubectl: { "usr/bin/kubectl": path.join(kubernetes, "kubectl") },
    [`kubeadm@${previous}`]: { "usr/bin/kubeadm": path.join(previousBin, "kubeadm") },
    [`kubelet@${previous}`]: { "usr/bin/kubelet": path.join(previousBin, "kubelet") },
    [`kubectl@${previous}`]: { "usr/bin/kubectl": path.join(previousBin, "kubectl") },
    "cri-tools": { "usr/bin/crictl": crictl },
    "kubernetes-cni": Object.fromEntries(cniPlugins.map((p) => [`opt/cni/bin/${p}`, `/usr/lib/cni/${p}`])),
    // Ubuntu's containerd, with runc as a package of its own; Docker's containerd.io carries its runc.
    containerd,
    runc: { "usr/sbin/runc": runc },
    "containerd.io": { ...containerd, "usr/bin/runc": runc },
    // What a minimal host lacks until apt installs it (lab/doubles/init-host --minimal hides the machine's).
    gpg: { "usr/bin/gpg": machineBinary("gpg") },
    "ca-certificates": { "etc/ssl/certs/ca-certificates.crt": "/etc/ssl/certs/ca-certificates.crt" },
  };
}

function machineBinary(name: string): string {
  for (const dir of ["/usr/sbin", "/usr/bin", "/sbin", "/bin"]) {
    const candidate = path.join(dir, name);
    if (fs.existsSync(candidate)) return candidate;
  }
  return path.join("/usr/sbin", name);
}

/**
 * Builds the trees under `dir` (the lab's shared/packages, /lab/packages on the hosts), hard-linked where the
 * machine's file is on the same file system. Throws naming what tools/setup has not provided.
 */
export function installRealPackages(dir: string): void {
  const missing: string[] = [];
  for (const [name, files] of Object.entries(realPackageFiles())) {
    for (const [rel, source] of Object.entries(files)) {
      if (!fs.existsSync(source)) {
        missing.push(`${name}: ${source}`);
        continue;
      }
      const dest = path.join(dir, name, rel);
      fs.mkdirSync(path.dirname(dest), { recursive: true });
      linkOrCopy(source, dest);
    }
  }
  if (missing.length > 0) {
    throw new Error(`real nodes need what tools/setup installs; missing:\n  ${missing.join("\n  ")}\nrun tools/setup`);
  }
}
