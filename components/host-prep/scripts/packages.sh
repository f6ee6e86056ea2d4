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

case "$family" in
apt)
  export DEBIAN_FRONTEND=noninteractive
  containerd_package=$APT_CONTAINERD_PACKAGE${CONTAINERD_VERSION:+=$CONTAINERD_VERSION}
  # A containerd the host had (Docker's containerd.io, or the distribution's containerd) is the runtime unless the
  # stack pins a version: installing the other package would remove it (they conflict, and Docker goes with
  # containerd.io), and naming it would move it to the repository's newest under the containers it runs.
  if [ -z "$CONTAINERD_VERSION" ]; then
    for existing in containerd.io containerd; do
      if grep -qxF "$existing" "$state_dir/packages-before"; then
        echo "keeping the host's $existing $(dpkg-query -W -f='${Version}' "$existing") as the container runtime"
        containerd_package=""
        break
      fi
    done
  fi
  # shellcheck disable=SC2086 # no word when the host's containerd is kept
  apt-get install -y -q --allow-change-held-packages --allow-downgrades \
    "kubelet=$APT_KUBERNETES_VERSION" "kubeadm=$APT_KUBERNETES_VERSION" "kubectl=$APT_KUBERNETES_VERSION" \
    $containerd_package
  apt-mark hold kubelet kubeadm kubectl
  ;;
dnf | yum)
  "$family" install -y -q --disableexcludes=kubernetes \
    "kubelet-$YUM_KUBERNETES_VERSION" "kubeadm-$YUM_KUBERNETES_VERSION" "kubectl-$YUM_KUBERNETES_VERSION"
  "$family" install -y -q "containerd.io${CONTAINERD_VERSION:+-$CONTAINERD_VERSION}"
  ;;
esac
installed_packages | comm -13 "$state_dir/packages-before" - >"$state_dir/packages-added"
echo "installed: $(kubeadm version -o short), $(containerd --version)"
