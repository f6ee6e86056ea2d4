systemctl is-enabled --quiet kubelet || echo "the kubelet is not enabled at boot"
