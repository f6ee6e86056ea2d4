for path in /etc/apt/sources.list.d/kubernetes.list /etc/apt/sources.list.d/containerd.list \
  /etc/apt/keyrings/kubernetes-apt-keyring.gpg /etc/apt/keyrings/containerd-apt-keyring.gpg \
  /etc/yum.repos.d/kubernetes.repo /etc/yum.repos.d/containerd.repo; do
  restore_original "$path"
done
step_undone
echo "package repositories removed"
