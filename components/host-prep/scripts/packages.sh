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
# A node already in the cluster whose kubelet is at another version is being upgraded: kubeadm alone moves now, as
# kubeadm's upgrade guide does first on every node. Its kubelet and kubectl move in the node's own upgrade
# (providers/node/upgrade-node.ts), once the control plane is at the new version and the node is drained: a kubelet
# newer than its API server is outside the skew policy, and restarting it here would take the node's pods down
# with no drain.
# The check of the kubeadm resources refuses a downgrade or a skipped minor before any host changes; this refusal is
# for an `up --skip-preview`, which runs this step before that check.
upgrading_node() {
  if [ -f /etc/kubernetes/kubelet.conf ] && [ -n "$1" ] && [ "$1" != "$2" ]; then
    have_minor=$(echo "$1" | cut -d. -f2)
    want_minor=$(echo "$2" | cut -d. -f2)
    if [ "$(printf '%s\n%s\n' "$1" "$2" | sort -V | head -n 1)" = "$2" ]; then
      echo "kubernetesVersion $2 is older than this node's kubelet $1: kubeadm cannot downgrade a cluster; put kubernetesVersion back to $1 or later" >&2
      exit 1
    fi
    if [ "$want_minor" -gt $((have_minor + 1)) ] 2>/dev/null; then
      echo "kubernetesVersion $2 skips a minor from this node's kubelet $1: kubeadm upgrades one minor at a time; set kubernetesVersion to a 1.$((have_minor + 1)).x release first" >&2
      exit 1
    fi
    echo "this host is a node of the cluster with kubelet $1: kubeadm moves to $2 now, kubelet and kubectl in the node's upgrade"
    return 0
  fi
  return 1
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
  if upgrading_node "$(dpkg-query -W -f='${Version}' kubelet 2>/dev/null || true)" "$APT_KUBERNETES_VERSION"; then
    quietly "installing kubeadm $APT_KUBERNETES_VERSION" \
      apt-get install -y -q --allow-change-held-packages --allow-downgrades "kubeadm=$APT_KUBERNETES_VERSION"
    quietly "holding kubeadm at its version" apt-mark hold kubeadm
  else
    quietly "installing kubelet, kubeadm and kubectl $APT_KUBERNETES_VERSION${containerd_package:+ and $containerd_package}" \
      apt-get install -y -q --allow-change-held-packages --allow-downgrades \
      "kubelet=$APT_KUBERNETES_VERSION" "kubeadm=$APT_KUBERNETES_VERSION" "kubectl=$APT_KUBERNETES_VERSION" \
      ${containerd_package:+"$containerd_package"}
    quietly "holding kubelet, kubeadm and kubectl at their versions" apt-mark hold kubelet kubeadm kubectl
  fi
  ;;
dnf | yum)
  if upgrading_node "$(rpm -q --qf '%{VERSION}' kubelet 2>/dev/null || true)" "$YUM_KUBERNETES_VERSION"; then
    quietly "installing kubeadm $YUM_KUBERNETES_VERSION" \
      "$family" install -y -q --disableexcludes=kubernetes "kubeadm-$YUM_KUBERNETES_VERSION"
  else
    quietly "installing kubelet, kubeadm and kubectl $YUM_KUBERNETES_VERSION" \
      "$family" install -y -q --disableexcludes=kubernetes \
      "kubelet-$YUM_KUBERNETES_VERSION" "kubeadm-$YUM_KUBERNETES_VERSION" "kubectl-$YUM_KUBERNETES_VERSION"
  fi
  if host_has containerd.io; then
    echo "keeping the host's own containerd.io $(rpm -q --qf '%{VERSION}-%{RELEASE}' containerd.io)"
  else
    quietly "installing containerd.io${CONTAINERD_VERSION:+ $CONTAINERD_VERSION}" \
      "$family" install -y -q "containerd.io${CONTAINERD_VERSION:+-$CONTAINERD_VERSION}"
  fi
  ;;
esac
installed_packages | comm -13 "$state_dir/packages-before" - >"$state_dir/packages-added"
echo "installed: $(kubeadm version -o short), $(containerd --version)"
