if [ -f /etc/fstab ]; then
  sed -i -E 's@^#pulumi-kubeadm-swap# @@' /etc/fstab
fi
if [ -f "$state_dir/swap-target.before" ]; then
  if [ "$(cat "$state_dir/swap-target.before")" != masked ]; then systemctl unmask swap.target >/dev/null; fi
  rm -f "$state_dir/swap-target.before"
fi
swapon -a || true
# Back on what was on before the first run and fstab does not name (a .swap unit's file, zram's device), at the
# priority it had: the kernel numbers the others itself, as it did at boot.
if [ -f "$state_dir/swap-active.before" ]; then
  while read -r name priority; do
    [ -n "$name" ] || continue
    if swapon --noheadings --raw --show=NAME | grep -qxF -- "$name"; then continue; fi
    case "$priority" in
    -* | '') swapon -- "$name" ;;
    *) swapon -p "$priority" -- "$name" ;;
    esac || echo "$name was on before and could not be turned on again"
  done <"$state_dir/swap-active.before"
  rm -f "$state_dir/swap-active.before"
fi
step_undone
active=$(swapon --noheadings --show=NAME 2>/dev/null | tr '\n' ' ')
echo "swap restored as it was${active:+: $active}"
