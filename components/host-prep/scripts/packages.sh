# Pinned containerd, kubelet, kubeadm and kubectl, held at their versions.
# Env: APT_KUBERNETES_VERSION (e.g. 1.35.4-1.1) YUM_KUBERNETES_VERSION (e.g. 1.35.4)
#      APT_CONTAINERD_PACKAGE (containerd | containerd.io) CONTAINERD_VERSION (optional)
family=$(package_family)
case "$family" in
apt)
  export DEBIAN_FRONTEND=noninteractive
  containerd_package=$APT_CONTAINERD_PACKAGE${CONTAINERD_VERSION:+=$CONTAINERD_VERSION}
  apt-get install -y -q --allow-change-held-packages --allow-downgrades \
    "kubelet=$APT_KUBERNETES_VERSION" "kubeadm=$APT_KUBERNETES_VERSION" "kubectl=$APT_KUBERNETES_VERSION" \
    "$containerd_package"
  apt-mark hold kubelet kubeadm kubectl
  ;;
dnf | yum)
  "$family" install -y -q --disableexcludes=kubernetes \
    "kubelet-$YUM_KUBERNETES_VERSION" "kubeadm-$YUM_KUBERNETES_VERSION" "kubectl-$YUM_KUBERNETES_VERSION"
  "$family" install -y -q "containerd.io${CONTAINERD_VERSION:+-$CONTAINERD_VERSION}"
  ;;
esac
echo "installed: $(kubeadm version -o short), $(containerd --version)"
