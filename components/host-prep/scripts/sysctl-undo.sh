restore_original /etc/sysctl.d/99-kubernetes.conf
if [ -f "$state_dir/sysctl.before" ]; then
  sysctl -p "$state_dir/sysctl.before" || true
  rm -f "$state_dir/sysctl.before"
fi
step_undone
echo "kernel network settings restored"
