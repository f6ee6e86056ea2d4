active=$(swapon --noheadings --show=NAME 2>/dev/null | tr '\n' ' ')
if [ -n "$active" ]; then echo "swap is on again ($active): the kubelet will not start after a reboot"; fi
if [ "$(systemctl is-enabled swap.target 2>/dev/null || true)" != masked ]; then
  echo "swap.target is no longer masked: swap units would start at the next boot"
fi
