systemctl disable --now kubelet >/dev/null 2>&1 || true
step_undone
echo "kubelet disabled"
