active=$(swapon --noheadings --show=NAME 2>/dev/null | tr '\n' ' ')
if [ -n "$active" ]; then echo "swap is on again ($active): the kubelet will not start after a reboot"; fi
