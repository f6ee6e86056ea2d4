family=$(package_family)
case "$family" in
apt)
  export DEBIAN_FRONTEND=noninteractive
  apt-mark unhold kubelet kubeadm kubectl >/dev/null 2>&1 || true
  apt-get purge -y -q kubelet kubeadm kubectl containerd containerd.io cri-tools kubernetes-cni || true
  ;;
dnf | yum)
  "$family" remove -y -q kubelet kubeadm kubectl containerd.io cri-tools kubernetes-cni || true
  ;;
esac
echo "packages removed"
