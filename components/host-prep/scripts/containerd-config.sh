# containerd with the systemd cgroup driver, the pause image kubeadm uses, and registry mirrors.
# The config files were uploaded beside this script (config-v2.toml for containerd 1.x, config-v3.toml for 2.x):
# the two majors use different config schemas, and which one is installed is known only here.
containerd_release() { containerd --version | awk '{ print $3 }'; }
major=$(containerd --version | sed -n 's/.* v\{0,1\}\([0-9][0-9]*\)\.[0-9][0-9]*\.[0-9][0-9]*.*/\1/p' | head -n 1)
# kubeadm's ContainerRuntimeVersion check asks the runtime for the CRI RuntimeConfig call, which containerd has from
# 2.0 on; how hard it asks depends on the release (RUNTIME_CONFIG_CHECK, read from each kubeadm's source).
if [ "$major" = 1 ]; then
  case "$RUNTIME_CONFIG_CHECK" in
  error)
    echo "containerd $(containerd_release) lacks the CRI RuntimeConfig call, which kubeadm $KUBERNETES_VERSION's preflight requires:" \
      "install containerd 2.x: on apt hosts set packages.apt.containerdRepository to Docker's repository (https://download.docker.com/linux/ubuntu/ or your mirror of it)," \
      "and packages.containerdPackageVersion to a 2.x release of its containerd.io" >&2
    exit 1
    ;;
  warning)
    echo "note: containerd $(containerd_release) lacks the CRI RuntimeConfig call: kubeadm $KUBERNETES_VERSION warns, and the kubelet" \
      "falls back to its own cgroup driver${RUNTIME_CONFIG_ERROR_FROM:+ (an error from Kubernetes $RUNTIME_CONFIG_ERROR_FROM on, kubeadm says)};" \
      "containerd 2.x has it (packages.apt.containerdRepository and packages.containerdPackageVersion)"
    ;;
  esac
fi
case "$major" in
1 | 2) put_file /etc/containerd/config.toml 0644 <"/etc/containerd/pulumi-kubeadm/config-v$((major + 1)).toml" ;;
*)
  echo "unsupported containerd version: $(containerd --version)" >&2
  exit 1
  ;;
esac
# Mirrors live in /etc/containerd/certs.d/<registry>/hosts.toml. The stack's registries are written; one the stack
# no longer lists gets back what it had; a registry the host configured itself is never touched.
for written in $(written_under /etc/containerd/certs.d); do
  registry=$(basename "$(dirname "$written")")
  if [ ! -f "/etc/containerd/pulumi-kubeadm/certs.d/$registry/hosts.toml" ]; then
    restore_original "$written"
    rmdir "/etc/containerd/certs.d/$registry" 2>/dev/null || true
  fi
done
for source in /etc/containerd/pulumi-kubeadm/certs.d/*/hosts.toml; do
  [ -f "$source" ] || continue
  registry=$(basename "$(dirname "$source")")
  mkdir -p "/etc/containerd/certs.d/$registry"
  put_file "/etc/containerd/certs.d/$registry/hosts.toml" 0644 <"$source"
done
# crictl reads its endpoints here; without the file it warns and tries every runtime socket it knows.
printf 'runtime-endpoint: unix:///run/containerd/containerd.sock\nimage-endpoint: unix:///run/containerd/containerd.sock\n' |
  put_file /etc/crictl.yaml 0644
systemctl daemon-reload
systemctl enable containerd
systemctl restart containerd
wait_active containerd
echo "containerd $major.x configured and running"
