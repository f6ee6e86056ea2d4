for tool in kubeadm kubelet kubectl containerd; do
  command -v "$tool" >/dev/null 2>&1 || echo "$tool is no longer installed"
done
