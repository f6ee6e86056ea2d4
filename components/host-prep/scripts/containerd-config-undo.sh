# Back to the host's own containerd configuration (or none), running again if it ran before.
for written in $(written_under /etc/containerd); do
  restore_original "$written"
  case "$written" in
  /etc/containerd/certs.d/*/hosts.toml) rmdir "$(dirname "$written")" 2>/dev/null || true ;;
  esac
done
restore_original /etc/crictl.yaml
rm -rf /etc/containerd/pulumi-kubeadm
# packages.sh noted whether the host had containerd enabled before the product installed anything.
before=$(cat "$state_dir/containerd.before" 2>/dev/null || true)
if [ "$before" = enabled ]; then
  systemctl restart containerd >/dev/null 2>&1 || true
else
  systemctl disable --now containerd >/dev/null 2>&1 || true
fi
# The directories stay when the package (or the admin) keeps files of their own in them.
rmdir /etc/containerd/certs.d /etc/containerd 2>/dev/null || true
step_undone
echo "containerd configuration restored"
