restore_original /etc/modules-load.d/kubernetes.conf
step_undone
echo "kernel module configuration removed"
