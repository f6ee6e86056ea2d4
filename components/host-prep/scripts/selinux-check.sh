if [ "${SELINUX_MODE:-}" = permissive ] && [ -f "$state_dir/selinux-mode.before" ] &&
  command -v getenforce >/dev/null 2>&1 && [ "$(getenforce 2>/dev/null)" = Enforcing ]; then
  echo "SELinux is enforcing again (the step set it permissive)"
fi
