systemctl disable --now kubelet >/dev/null 2>&1 || true
echo "kubelet disabled"
