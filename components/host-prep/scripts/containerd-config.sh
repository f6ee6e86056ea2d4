# containerd with the systemd cgroup driver, the pause image kubeadm uses, and registry mirrors.
# The config files were uploaded beside this script (config-v2.toml for containerd 1.x, config-v3.toml for 2.x):
# the two majors use different config schemas, and which one is installed is known only here.
major=$(containerd --version | sed -n 's/.* v\{0,1\}\([0-9][0-9]*\)\.[0-9][0-9]*\.[0-9][0-9]*.*/\1/p' | head -n 1)
case "$major" in
1) cp /etc/containerd/pulumi-kubeadm/config-v2.toml /etc/containerd/config.toml ;;
2) cp /etc/containerd/pulumi-kubeadm/config-v3.toml /etc/containerd/config.toml ;;
*)
  echo "unsupported containerd version: $(containerd --version)" >&2
  exit 1
  ;;
esac
chmod 0644 /etc/containerd/config.toml
# Mirrors live in /etc/containerd/certs.d/<registry>/hosts.toml; drop those of registries no longer configured.
mkdir -p /etc/containerd/certs.d
for dir in /etc/containerd/certs.d/*/; do
  [ -d "$dir" ] || continue
  registry=$(basename "$dir")
  [ -f "/etc/containerd/pulumi-kubeadm/certs.d/$registry/hosts.toml" ] || rm -rf "$dir"
done
if [ -d /etc/containerd/pulumi-kubeadm/certs.d ]; then
  cp -R /etc/containerd/pulumi-kubeadm/certs.d/. /etc/containerd/certs.d/
fi
systemctl daemon-reload
systemctl enable containerd
systemctl restart containerd
wait_active containerd
echo "containerd $major.x configured and running"
