rm -f /etc/modules-load.d/kubernetes.conf
echo "kernel module configuration removed"
