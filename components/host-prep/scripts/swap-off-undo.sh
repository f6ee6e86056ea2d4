if [ -f /etc/fstab ]; then
  sed -i -E 's@^#pulumi-kubeadm-swap# @@' /etc/fstab
fi
if [ -f "$state_dir/swap-target.before" ]; then
  if [ "$(cat "$state_dir/swap-target.before")" != masked ]; then systemctl unmask swap.target >/dev/null; fi
  rm -f "$state_dir/swap-target.before"
fi
swapon -a || true
step_undone
echo "swap restored as configured in /etc/fstab"
