# Removes what the packages step installed: the packages it added (recorded by packages.sh, dependencies
# included), never one the host had before; then the directories their services created at run time
# (containerd's /opt/containerd, the kubelet's /var/lib/kubelet and flexvolume directory /usr/libexec/kubernetes,
# flannel's plugin under /opt/cni), when the host did not have them and is no longer a node. Only installed packages are named: apt-get
# and dnf refuse a whole command when one name is unknown to every configured repository.
family=$(package_family)
is_installed() {
  case "$family" in
  apt) dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'ok installed' ;; # "hold ok installed" when held
  *) rpm -q "$1" >/dev/null 2>&1 ;;
  esac
}
if [ -f "$state_dir/packages-added" ]; then
  candidates=$(cat "$state_dir/packages-added")
else
  # Set up by a version that kept no record: the packages it installs by name.
  candidates="kubelet kubeadm kubectl cri-tools kubernetes-cni containerd containerd.io"
fi
installed=""
for package in $candidates; do
  is_installed "$package" && installed="$installed $package"
done
if [ -n "$installed" ]; then
  case "$family" in
  apt)
    export DEBIAN_FRONTEND=noninteractive
    apt-mark unhold kubelet kubeadm kubectl >/dev/null 2>&1 || true
    # shellcheck disable=SC2086 # one word per package
    apt-get purge -y -q $installed
    ;;
  dnf | yum)
    # shellcheck disable=SC2086
    "$family" remove -y -q $installed
    ;;
  esac
  echo "packages removed:$installed"
else
  echo "no packages to remove"
fi
if [ -f "$state_dir/paths-absent-before" ]; then
  if [ -f /etc/kubernetes/kubelet.conf ]; then
    # Still a node of a cluster (kubeadm reset, which runs before a removal's undo, deletes kubelet.conf): this undo is
    # half of a re-run of the step (`pulumi up --replace`). The kubelet's state (its config and certificates under
    # /var/lib/kubelet) and the runtime's stay, and so does the record, for the node's removal to come.
    echo "kept what the kubelet and the container runtime keep on disk: this host is still a node of a cluster"
  else
    while read -r path; do
      [ -n "$path" ] && [ -e "$path" ] || continue
      rm -rf --one-file-system -- "$path" && echo "removed $path"
    done <"$state_dir/paths-absent-before"
    rm -f "$state_dir/paths-absent-before"
  fi
fi
rm -f "$state_dir/packages-before" "$state_dir/packages-added" "$state_dir/containerd.before"
step_undone
