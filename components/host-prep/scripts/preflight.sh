# Checks the host before anything changes, and reports every problem at once with the setting that fixes it:
# a kubelet that never starts is learnt here in seconds rather than after kubeadm's four-minute wait.
problems=""
problem() { problems="${problems}  - $1
"; }

# kubelet 1.35 refuses cgroup v1 (failCgroupV1) and kubeadm's SystemVerification check fails on it.
if [ "$(stat -fc %T /sys/fs/cgroup 2>/dev/null)" != cgroup2fs ] && [ "$ALLOW_CGROUP_V1" != true ]; then
  problem "this host only offers cgroup v1 (/sys/fs/cgroup is not cgroup2): boot it with cgroup v2 (kernel argument systemd.unified_cgroup_hierarchy=1), or allow v1 with 'pulumi config set --path kubelet.allowCgroupV1 true'"
fi

if [ -n "$problems" ]; then
  printf 'host %s is not ready for kubeadm:\n%s' "$(hostname)" "$problems" >&2
  exit 1
fi
echo "preflight passed"
