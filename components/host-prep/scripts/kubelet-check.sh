systemctl is-enabled --quiet kubelet || echo "the kubelet is not enabled at boot"
if [ -f /var/lib/kubelet/config.yaml ] && ! systemctl is-active --quiet kubelet; then
  echo "the kubelet is not running"
fi
