for path in /etc/apt/sources.list.d/kubernetes.list /etc/apt/sources.list.d/containerd.list \
  /etc/apt/keyrings/kubernetes-apt-keyring.gpg /etc/apt/keyrings/containerd-apt-keyring.gpg \
  /etc/yum.repos.d/kubernetes.repo /etc/yum.repos.d/containerd.repo; do
  restore_original "$path"
done
# The tools a minimal host lacked, installed for the keys (package-repositories.sh): exactly those packages go.
if [ -s "$state_dir/prerequisites-added" ]; then
  added=""
  for package in $(cat "$state_dir/prerequisites-added"); do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'ok installed' && added="$added $package"
  done
  if [ -n "$added" ]; then
    # shellcheck disable=SC2086 # one word per package
    DEBIAN_FRONTEND=noninteractive apt-get purge -y -q $added
    echo "removed what the host lacked before:$added"
  fi
fi
rm -f "$state_dir/prerequisites-added"
step_undone
echo "package repositories removed"
