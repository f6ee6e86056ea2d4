# Removes what the packages step installed. Only installed packages are named: apt-get and dnf refuse a
# whole command when one name is unknown to every configured repository.
family=$(package_family)
installed=""
for package in kubelet kubeadm kubectl cri-tools kubernetes-cni containerd containerd.io; do
  case "$family" in
  apt) dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'ok installed' || continue ;; # "hold ok installed" when held
  *) rpm -q "$package" >/dev/null 2>&1 || continue ;;
  esac
  installed="$installed $package"
done
if [ -z "$installed" ]; then
  echo "no packages to remove"
  exit 0
fi
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
