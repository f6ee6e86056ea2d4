# Prepended to every HostPrep script: strict mode and the few helpers the steps share.
set -eu

# apt on Debian/Ubuntu, dnf (or yum) on RHEL/Rocky/CentOS: the two families the product prepares.
package_family() {
  if command -v apt-get >/dev/null 2>&1; then
    echo apt
  elif command -v dnf >/dev/null 2>&1; then
    echo dnf
  elif command -v yum >/dev/null 2>&1; then
    echo yum
  else
    echo "no supported package manager found (need apt-get, dnf or yum)" >&2
    exit 1
  fi
}

# Downloads a URL to a file, saying which URL failed: mirror problems are the usual cause behind a firewall.
fetch() {
  if ! curl -fsSL --retry 3 -o "$2" "$1"; then
    echo "cannot download $1: check the mirror URL in the stack config (packages.*) and that this host reaches it" >&2
    exit 1
  fi
}

# Waits until a systemd unit is active (containerd takes a moment after a restart).
wait_active() {
  unit=$1
  tries=0
  until systemctl is-active --quiet "$unit"; do
    tries=$((tries + 1))
    if [ "$tries" -ge 30 ]; then
      echo "$unit did not become active:" >&2
      systemctl status "$unit" >&2 || true
      exit 1
    fi
    sleep 1
  done
}

state_dir=/var/lib/pulumi-kubeadm
