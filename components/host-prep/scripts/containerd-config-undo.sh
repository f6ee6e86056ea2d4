systemctl disable --now containerd >/dev/null 2>&1 || true
rm -rf /etc/containerd/config.toml /etc/containerd/certs.d /etc/containerd/pulumi-kubeadm
# The directory stays when the package (or the admin) keeps files of its own in it.
rmdir /etc/containerd 2>/dev/null || true
echo "containerd configuration removed"
