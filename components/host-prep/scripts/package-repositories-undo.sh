rm -f /etc/apt/sources.list.d/kubernetes.list /etc/apt/sources.list.d/containerd.list \
  /etc/apt/keyrings/kubernetes-apt-keyring.gpg /etc/apt/keyrings/containerd-apt-keyring.gpg \
  /etc/yum.repos.d/kubernetes.repo /etc/yum.repos.d/containerd.repo
echo "package repositories removed"
