rm -f /etc/sysctl.d/99-kubernetes.conf
if [ -f "$state_dir/sysctl.before" ]; then
  sysctl -p "$state_dir/sysctl.before" || true
  rm -f "$state_dir/sysctl.before"
fi
rmdir "$state_dir" 2>/dev/null || true
echo "kernel network settings restored"
