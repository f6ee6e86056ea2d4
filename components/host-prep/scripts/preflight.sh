# Checks the host before anything changes, and reports every problem at once with the setting that fixes it:
# a kubelet that never starts is learnt here in seconds rather than after kubeadm's four-minute wait.
problems=""
problem() { problems="${problems}  - $1
"; }

# kubelet 1.35 refuses cgroup v1 (failCgroupV1) and kubeadm's SystemVerification check fails on it.
if [ "$(stat -fc %T /sys/fs/cgroup 2>/dev/null)" != cgroup2fs ] && [ "$ALLOW_CGROUP_V1" != true ]; then
  problem "this host only offers cgroup v1 (/sys/fs/cgroup is not cgroup2): boot it with cgroup v2 (kernel argument systemd.unified_cgroup_hierarchy=1), or allow v1 with 'pulumi config set --path kubelet.allowCgroupV1 true'"
fi

# The kubelet needs these cgroup controllers; some kernels boot without one (Raspberry Pi OS's without memory), and
# kubeadm's SystemVerification check only names it after the host is prepared.
if [ "$(stat -fc %T /sys/fs/cgroup 2>/dev/null)" = cgroup2fs ]; then
  controllers=" $(cat /sys/fs/cgroup/cgroup.controllers 2>/dev/null) "
  missing=""
  for controller in cpu memory pids; do
    case "$controllers" in *" $controller "*) ;; *) missing="$missing $controller" ;; esac
  done
  if [ -n "$missing" ]; then
    problem "the kernel offers no cgroup controller for$missing, which the kubelet needs: enable it at boot (for memory, the kernel arguments cgroup_enable=memory cgroup_memory=1, as Raspberry Pi OS needs)"
  fi
fi

# kubeadm's NumCPU and Mem checks, which it runs only on control-plane nodes and only after the host is prepared.
if [ "$NODE_ROLE" = control-plane ]; then
  cpus=$(nproc)
  if [ "$cpus" -lt 2 ]; then
    problem "this control-plane host has $cpus CPU; kubeadm needs at least 2 (its NumCPU check): give it more CPUs, or list it under workers"
  fi
  memory=$(awk '/^MemTotal:/ { print int($2 / 1024) }' /proc/meminfo)
  if [ "$memory" -lt 1700 ]; then
    problem "this control-plane host has $memory MB of memory; kubeadm needs at least 1700 MB (its Mem check): give it more memory, or list it under workers"
  fi
fi

# Docker's containerd.io and the distribution's containerd cannot both be installed. A host's own containerd is the
# runtime (packages.sh keeps it); only a pinned version of the other package would replace it, and apt would remove
# Docker with containerd.io.
if [ -n "$CONTAINERD_VERSION" ] && command -v dpkg-query >/dev/null 2>&1; then
  for existing in containerd.io containerd; do
    [ "$existing" != "$APT_CONTAINERD_PACKAGE" ] || continue
    if dpkg-query -W -f='${Status}' "$existing" 2>/dev/null | grep -q 'ok installed'; then
      case "$existing" in
      containerd.io) also=", and Docker with it" origin="Docker's, e.g. https://download.docker.com/linux/ubuntu/" ;;
      *) also="" origin="unset it for the distribution's" ;;
      esac
      problem "this host has $existing, which installing $APT_CONTAINERD_PACKAGE $CONTAINERD_VERSION (packages.containerdPackageVersion) would remove$also: unset packages.containerdPackageVersion to keep the host's $existing as the runtime, or point packages.apt.containerdRepository at the repository it comes from ($origin)"
    fi
  done
fi
# With hostPrep.selinux or hostPrep.firewalld set to keep, the host preparation leaves them to the user's own policy:
# what would still stop kubeadm is reported here (the default settings make the selinux and firewalld steps fix it).
if [ "$SELINUX_MODE" = keep ] && command -v getenforce >/dev/null 2>&1 && [ "$(getenforce 2>/dev/null)" = Enforcing ]; then
  problem "SELinux is enforcing, and hostPrep.selinux is keep: containers cannot read what the kubelet mounts for them; let the host preparation set it permissive (undone on destroy) with 'pulumi config set --path hostPrep.selinux permissive', or set it yourself: setenforce 0 and SELINUX=permissive in /etc/selinux/config"
fi
if [ "$FIREWALLD_MODE" = keep ] && firewalld_running; then
  zone=$(firewalld_zone)
  closed=""
  for port in $FIREWALLD_PORTS; do
    if ! firewall-cmd --zone="$zone" --query-port="$port" >/dev/null 2>&1 ||
      ! firewall-cmd --permanent --zone="$zone" --query-port="$port" >/dev/null 2>&1; then
      closed="$closed $port"
    fi
  done
  if [ -n "$closed" ]; then
    problem "firewalld is running and its zone $zone does not let in$closed, which this node needs (kubeadm's ports for a $NODE_ROLE, and the pod network's), and hostPrep.firewalld is keep: let the host preparation open them (closed again on destroy) with 'pulumi config set --path hostPrep.firewalld openPorts', or open them yourself, at runtime and permanently: firewall-cmd --zone=$zone --add-port=<port> and the same with --permanent"
  fi
fi

if [ -n "$problems" ]; then
  printf 'host %s is not ready for kubeadm:\n%s' "$(hostname)" "$problems" >&2
  exit 1
fi
echo "preflight passed"
