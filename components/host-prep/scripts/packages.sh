# Pinned containerd, kubelet, kubeadm and kubectl, held at their versions.
# Env: APT_KUBERNETES_VERSION (e.g. 1.35.4-1.1) YUM_KUBERNETES_VERSION (e.g. 1.35.4)
#      APT_CONTAINERD_PACKAGE (containerd | containerd.io) CONTAINERD_VERSION (optional)
family=$(package_family)

# What the host has before this step changes anything, kept from the first run on (a re-run finds the step's own
# packages installed): the undo removes exactly the packages this step added, dependencies included (runc,
# cri-tools, kubernetes-cni), and the directories their services create at run time, and nothing the host had.
installed_packages() {
  case "$family" in
  apt) dpkg-query -W -f='${Package} ${Status}\n' 2>/dev/null | awk '$NF == "installed" { print $1 }' | sort -u ;;
  *) rpm -qa --qf '%{NAME}\n' 2>/dev/null | sort -u ;;
  esac
}
make_state_dir
if [ ! -f "$state_dir/packages-before" ]; then
  installed_packages >"$state_dir/packages-before.tmp"
  mv "$state_dir/packages-before.tmp" "$state_dir/packages-before"
  # Whether the host ran containerd of its own (Docker's, say): the containerd step's undo leaves it running then.
  systemctl is-enabled containerd >"$state_dir/containerd.before" 2>/dev/null || true
fi
# Kept by an undo on a host that is still a node (packages-undo.sh): the record of the first run stays true.
if [ ! -f "$state_dir/paths-absent-before" ]; then
  for path in /opt/containerd /opt/cni /etc/containerd /var/lib/kubelet /usr/libexec/kubernetes; do
    [ -e "$path" ] || echo "$path"
  done >"$state_dir/paths-absent-before"
fi

# A containerd the host had before stays at its version (its admin runs it, for registries of their own, say):
# installing the package again would upgrade it, restarting it under them, and the undo, which removes only what
# this step added, would leave the upgrade behind. packages.containerdPackageVersion asks for a version explicitly.
host_has() {
  [ -z "$CONTAINERD_VERSION" ] && grep -qxF -- "$1" "$state_dir/packages-before"
}
case "$family" in
apt)
  export DEBIAN_FRONTEND=noninteractive
  containerd_package=$APT_CONTAINERD_PACKAGE${CONTAINERD_VERSION:+=$CONTAINERD_VERSION}
  # Docker's containerd.io and the distribution's containerd conflict: installing the one would remove the other
  # (and Docker with containerd.io). So whichever the host has is its runtime.
  for existing in containerd.io containerd; do
    if host_has "$existing"; then
      echo "keeping the host's own $existing $(dpkg-query -W -f='${Version}' "$existing") as the container runtime"
      containerd_package=""
      break
    fi
  done
  apt-get install -y -q --allow-change-held-packages --allow-downgrades \
    "kubelet=$APT_KUBERNETES_VERSION" "kubeadm=$APT_KUBERNETES_VERSION" "kubectl=$APT_KUBERNETES_VERSION" \
    ${containerd_package:+"$containerd_package"}
  apt-mark hold kubelet kubeadm kubectl
  ;;
dnf | yum)
  "$family" install -y -q --disableexcludes=kubernetes \
    "kubelet-$YUM_KUBERNETES_VERSION" "kubeadm-$YUM_KUBERNETES_VERSION" "kubectl-$YUM_KUBERNETES_VERSION"
  if host_has containerd.io; then
    echo "keeping the host's own containerd.io $(rpm -q --qf '%{VERSION}-%{RELEASE}' containerd.io)"
  else
    "$family" install -y -q "containerd.io${CONTAINERD_VERSION:+-$CONTAINERD_VERSION}"
  fi
  ;;
esac
installed_packages | comm -13 "$state_dir/packages-before" - >"$state_dir/packages-added"
echo "installed: $(kubeadm version -o short), $(containerd --version)"
