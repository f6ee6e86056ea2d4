restore_original /etc/modules-load.d/kubernetes.conf
# The modules this step loaded go now, not only at the next boot; one in use (the host's own containers on overlay,
# say) or built into the kernel stays.
if [ -f "$state_dir/modules.before" ]; then
  for module in br_netfilter overlay; do
    grep -qxF "$module" "$state_dir/modules.before" && continue
    lsmod | awk -v m="$module" 'NR > 1 && $1 == m { found = 1 } END { exit !found }' || continue
    if modprobe -r "$module" 2>/dev/null; then
      echo "unloaded $module"
    else
      echo "kept $module loaded: in use"
    fi
  done
  rm -f "$state_dir/modules.before"
fi
step_undone
echo "kernel module configuration removed"
