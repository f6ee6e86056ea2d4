systemctl is-active --quiet containerd || echo "containerd is not running ($(systemctl is-active containerd 2>/dev/null || true))"
