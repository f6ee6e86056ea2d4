# overlay for containerd's snapshotter, br_netfilter so bridged pod traffic passes through iptables.
# Which modules were loaded before the first run is kept, so the undo unloads only what this step loaded.
make_state_dir
if [ ! -f "$state_dir/modules.before" ]; then
  lsmod | awk 'NR > 1 { print $1 }' >"$state_dir/modules.before.tmp"
  mv "$state_dir/modules.before.tmp" "$state_dir/modules.before"
fi
printf 'overlay\nbr_netfilter\n' | put_file /etc/modules-load.d/kubernetes.conf 0644
modprobe overlay
modprobe br_netfilter
echo "kernel modules overlay and br_netfilter loaded (now and at boot)"
