# Package repositories for kubelet/kubeadm/kubectl and containerd, from the configured mirrors.
# Env: APT_KUBERNETES_REPOSITORY APT_KUBERNETES_KEY_URL APT_CONTAINERD_REPOSITORY
#      YUM_KUBERNETES_REPOSITORY YUM_KUBERNETES_KEY_URL YUM_CONTAINERD_REPOSITORY
family=$(package_family)
case "$family" in
apt)
  mkdir -p /etc/apt/keyrings
  chmod 0755 /etc/apt/keyrings
  fetch "$APT_KUBERNETES_KEY_URL" "$step_work/kubernetes.key" packages.apt.kubernetesKeyUrl
  gpg --dearmor --yes -o "$step_work/kubernetes.gpg" <"$step_work/kubernetes.key"
  put_file /etc/apt/keyrings/kubernetes-apt-keyring.gpg 0644 <"$step_work/kubernetes.gpg"
  printf 'deb [signed-by=/etc/apt/keyrings/kubernetes-apt-keyring.gpg] %s /\n' "$APT_KUBERNETES_REPOSITORY" |
    put_file /etc/apt/sources.list.d/kubernetes.list 0644
  if [ -n "$APT_CONTAINERD_REPOSITORY" ]; then
    fetch "${APT_CONTAINERD_REPOSITORY}gpg" "$step_work/containerd.key" packages.apt.containerdRepository
    gpg --dearmor --yes -o "$step_work/containerd.gpg" <"$step_work/containerd.key"
    put_file /etc/apt/keyrings/containerd-apt-keyring.gpg 0644 <"$step_work/containerd.gpg"
    codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-stable}")
    printf 'deb [signed-by=/etc/apt/keyrings/containerd-apt-keyring.gpg] %s %s stable\n' \
      "$APT_CONTAINERD_REPOSITORY" "$codename" | put_file /etc/apt/sources.list.d/containerd.list 0644
  fi
  if ! apt-get update -q; then
    echo "apt-get update failed with the repositories from packages.apt.kubernetesRepository" \
      "($APT_KUBERNETES_REPOSITORY)${APT_CONTAINERD_REPOSITORY:+ and packages.apt.containerdRepository}: see the lines above" >&2
    exit 1
  fi
  ;;
dnf | yum)
  # exclude= keeps a routine `dnf upgrade` from moving the cluster's versions: installs name
  # --disableexcludes=kubernetes explicitly (pkgs.k8s.io's own recommendation).
  put_file /etc/yum.repos.d/kubernetes.repo 0644 <<REPO
[kubernetes]
name=Kubernetes
baseurl=$YUM_KUBERNETES_REPOSITORY
enabled=1
gpgcheck=1
gpgkey=$YUM_KUBERNETES_KEY_URL
exclude=kubelet kubeadm kubectl cri-tools kubernetes-cni
REPO
  put_file /etc/yum.repos.d/containerd.repo 0644 <<REPO
[containerd]
name=containerd.io from a docker-ce mirror
baseurl=${YUM_CONTAINERD_REPOSITORY}\$releasever/\$basearch/stable
enabled=1
gpgcheck=1
gpgkey=${YUM_CONTAINERD_REPOSITORY}gpg
REPO
  if ! "$family" makecache -q; then
    echo "$family makecache failed with the repositories from packages.yum.kubernetesRepository" \
      "($YUM_KUBERNETES_REPOSITORY) and packages.yum.containerdRepository ($YUM_CONTAINERD_REPOSITORY): see the lines above" >&2
    exit 1
  fi
  ;;
esac
echo "package repositories configured ($family)"
