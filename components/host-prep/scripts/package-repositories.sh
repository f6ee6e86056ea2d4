# Package repositories for kubelet/kubeadm/kubectl and containerd, from the configured mirrors.
# Env: APT_KUBERNETES_REPOSITORY APT_KUBERNETES_KEY_URL APT_CONTAINERD_REPOSITORY
#      YUM_KUBERNETES_REPOSITORY YUM_KUBERNETES_KEY_URL YUM_CONTAINERD_REPOSITORY
family=$(package_family)
case "$family" in
apt)
  mkdir -p /etc/apt/keyrings
  chmod 0755 /etc/apt/keyrings
  tmp=$(mktemp)
  fetch "$APT_KUBERNETES_KEY_URL" "$tmp"
  gpg --dearmor --yes -o /etc/apt/keyrings/kubernetes-apt-keyring.gpg <"$tmp"
  chmod 0644 /etc/apt/keyrings/kubernetes-apt-keyring.gpg
  printf 'deb [signed-by=/etc/apt/keyrings/kubernetes-apt-keyring.gpg] %s /\n' "$APT_KUBERNETES_REPOSITORY" \
    >/etc/apt/sources.list.d/kubernetes.list
  if [ -n "$APT_CONTAINERD_REPOSITORY" ]; then
    fetch "${APT_CONTAINERD_REPOSITORY}gpg" "$tmp"
    gpg --dearmor --yes -o /etc/apt/keyrings/containerd-apt-keyring.gpg <"$tmp"
    chmod 0644 /etc/apt/keyrings/containerd-apt-keyring.gpg
    codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-stable}")
    printf 'deb [signed-by=/etc/apt/keyrings/containerd-apt-keyring.gpg] %s %s stable\n' \
      "$APT_CONTAINERD_REPOSITORY" "$codename" >/etc/apt/sources.list.d/containerd.list
  fi
  rm -f "$tmp"
  apt-get update -q
  ;;
dnf | yum)
  # exclude= keeps a routine `dnf upgrade` from moving the cluster's versions: installs name
  # --disableexcludes=kubernetes explicitly (pkgs.k8s.io's own recommendation).
  cat >/etc/yum.repos.d/kubernetes.repo <<REPO
[kubernetes]
name=Kubernetes
baseurl=$YUM_KUBERNETES_REPOSITORY
enabled=1
gpgcheck=1
gpgkey=$YUM_KUBERNETES_KEY_URL
exclude=kubelet kubeadm kubectl cri-tools kubernetes-cni
REPO
  cat >/etc/yum.repos.d/containerd.repo <<REPO
[containerd]
name=containerd.io from a docker-ce mirror
baseurl=${YUM_CONTAINERD_REPOSITORY}\$releasever/\$basearch/stable
enabled=1
gpgcheck=1
gpgkey=${YUM_CONTAINERD_REPOSITORY}gpg
REPO
  chmod 0644 /etc/yum.repos.d/kubernetes.repo /etc/yum.repos.d/containerd.repo
  "$family" makecache -q
  ;;
esac
echo "package repositories configured ($family)"
