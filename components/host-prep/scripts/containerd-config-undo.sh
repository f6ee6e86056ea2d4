systemctl disable --now containerd >/dev/null 2>&1 || true
rm -rf /etc/containerd/config.toml /etc/containerd/certs.d /etc/containerd/pulumi-kubeadm
echo "containerd configuration removed"
