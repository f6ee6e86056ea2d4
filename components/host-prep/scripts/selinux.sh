# SELinux permissive, now and after a reboot, as kubeadm's install guide has it (setenforce 0, and SELINUX=permissive
# in /etc/selinux/config): containers must read what the kubelet mounts for them. The mode from before is recorded and
# the config file kept (put_file), so the undo puts back exactly both. Hosts without SELinux (Debian/Ubuntu, or
# SELinux disabled): nothing is done and nothing recorded.
# Env: SELINUX_MODE (permissive | keep)
if [ "$SELINUX_MODE" = keep ]; then
  echo "SELinux left as it is (hostPrep.selinux is keep)"
  exit 0
fi
if ! command -v selinuxenabled >/dev/null 2>&1 || ! selinuxenabled; then
  echo "SELinux is not enabled on this host: nothing to do"
  exit 0
fi
selinux_record="$state_dir/selinux-mode.before"
make_state_dir
if [ ! -f "$selinux_record" ]; then
  getenforce >"$selinux_record.new"
  mv -f "$selinux_record.new" "$selinux_record"
fi
selinux_config=/etc/selinux/config
enforcing_line='^[[:space:]]*SELINUX[[:space:]]*=[[:space:]]*enforcing[[:space:]]*$'
if [ -f "$selinux_config" ] && grep -Eq "$enforcing_line" "$selinux_config"; then
  config_mode=$(stat -c %a "$selinux_config")
  sed -E "s/$enforcing_line/SELINUX=permissive/" "$selinux_config" | put_file "$selinux_config" "$config_mode"
fi
if [ "$(getenforce)" = Enforcing ]; then setenforce 0; fi
echo "SELinux is permissive (now and after a reboot)"
