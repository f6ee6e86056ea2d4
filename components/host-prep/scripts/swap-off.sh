# The kubelet refuses to run with swap on (kubeadm only warns, then init dies waiting for the kubelet),
# so swap goes off now and stays off after a reboot, whatever turns it on:
# - /etc/fstab lines of type swap, indented or not, with or without the dump and pass fields, are commented with a
#   marker the undo script recognises;
# - every swap unit systemd starts at boot (fstab's, GPT auto-swap, zram-generator's) is pulled in by swap.target,
#   which is masked, unless the host had masked it already.
make_state_dir
# What is on, with its priority, for the undo to turn back on: a .swap unit's or zram's device is otherwise only back
# at the next boot. Kept from the first run (a re-run finds swap off).
if [ ! -f "$state_dir/swap-active.before" ]; then
  swapon --noheadings --raw --show=NAME,PRIO >"$state_dir/swap-active.before" 2>/dev/null || true
fi
swapoff -a
if [ -f /etc/fstab ]; then
  keep_before_step /etc/fstab
  sed -i -E 's@^([[:space:]]*[^#[:space:]][^[:space:]]*[[:space:]]+[^[:space:]]+[[:space:]]+swap([[:space:]].*)?)$@#pulumi-kubeadm-swap# \1@' /etc/fstab
fi
if [ ! -f "$state_dir/swap-target.before" ]; then
  systemctl is-enabled swap.target >"$state_dir/swap-target.before" 2>/dev/null || true
fi
systemctl mask swap.target >/dev/null
echo "swap is off (now and at boot)"
