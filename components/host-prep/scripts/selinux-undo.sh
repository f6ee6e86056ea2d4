# Puts back the SELinux mode and /etc/selinux/config (byte for byte) as they were before the step first ran.
selinux_record="$state_dir/selinux-mode.before"
if [ -f "$selinux_record" ]; then
  restore_original /etc/selinux/config
  mode_before=$(cat "$selinux_record")
  if command -v selinuxenabled >/dev/null 2>&1 && selinuxenabled; then
    case "$mode_before" in
      Enforcing) setenforce 1 ;;
      Permissive) setenforce 0 ;;
    esac
  fi
  rm -f "$selinux_record"
  echo "SELinux is $mode_before again, its config file as it was"
else
  echo "SELinux was not changed on this host: nothing to undo"
fi
step_undone
