#!/bin/sh
# pulumi-kubeadm: return a host to the state it had before `kubeadm init` or `kubeadm join`.
#
# `kubeadm reset -f` removes what kubeadm wrote (manifests, pki, kubeconfigs, etcd data, kubelet state) but,
# as it says itself, not the CNI configuration, network filtering rules or links. Left behind, those break
# the next cluster on this host: flannel's cni0 keeps the old subnet's address ("cni0 already has an IP
# address different from ..."), stale KUBE-/FLANNEL- chains keep routing to services that no longer exist.
# This script does both, in the spirit of the seed's reset script, and:
#   - is idempotent: every step checks before it acts, so a second run (or a run on a fresh host) is a no-op;
#   - works where kubeadm, iptables, nft, ipvsadm or ip are not installed (it skips what it cannot do);
#   - never removes more than Kubernetes' own state: user iptables rules, other links and other nft tables
#     stay; files under kubelet volume mounts are never followed (mounts are unmounted first, and rm stays on
#     one file system);
#   - prints each thing it removes, and exits non-zero only when kubeadm's files are still there at the end or a pod
#     still runs.
# It is passed to `sh -c` as text stored with each Pulumi resource, so `pulumi destroy` runs the version the
# node was set up with. POSIX sh only.
set -u

say() { printf '%s\n' "$*"; }
have() { command -v "$1" >/dev/null 2>&1; }

# Removes each path that exists (a dangling symlink counts), printing it.
remove() {
  for path in "$@"; do
    if [ -e "$path" ] || [ -L "$path" ]; then
      if rm -rf --one-file-system -- "$path"; then
        say "removed $path"
      else
        say "could not remove $path"
      fi
    fi
  done
}

# Removes the entries of a directory but keeps the directory (packages own some of them).
empty_dir() {
  [ -d "$1" ] || return 0
  for entry in "$1"/* "$1"/.[!.]*; do
    remove "$entry"
  done
}

# 0. kube-vip's virtual IP, read from its static Pod's manifest before kubeadm reset removes it: kubeadm reset stops
#    kube-vip through the CRI, forcibly, so the address it held as the leader stays on the interface (step 5b),
#    where this host would answer ARP for the endpoint against the next leader.
vip_address=""
vip_interface=""
if [ -r /etc/kubernetes/manifests/kube-vip.yaml ]; then
  env_name=""
  while IFS= read -r line; do
    case "$line" in
      *"- name: "*) env_name=${line#*- name: } ;;
      *"value: "*)
        value=${line#*value: }
        value=${value#\"}
        value=${value%\"}
        case "$env_name" in
          address) vip_address=$value ;;
          vip_interface) vip_interface=$value ;;
        esac
        env_name=""
        ;;
    esac
  done </etc/kubernetes/manifests/kube-vip.yaml
  # An IP address and an interface name, nothing else, go to ip(8).
  case "$vip_address" in "" | *[!0-9A-Fa-f.:]*) vip_address="" ;; esac
  case "$vip_interface" in "" | *[!0-9A-Za-z._@-]*) vip_interface="" ;; esac
fi

# 1. kubeadm's own reset: stops the kubelet, removes containers through the CRI, unmounts kubelet volumes,
#    deletes the files kubeadm wrote.
if have kubeadm; then
  say "running kubeadm reset -f"
  if kubeadm reset -f; then
    say "kubeadm reset done"
  else
    say "kubeadm reset failed (exit $?); continuing with the manual cleanup"
  fi
else
  say "kubeadm is not installed; cleaning up by hand"
fi

# 2. The kubelet must not restart pods or rewrite files while they are removed.
if have systemctl && systemctl is-active --quiet kubelet 2>/dev/null; then
  if systemctl stop kubelet; then say "stopped kubelet"; else say "could not stop kubelet"; fi
fi

# 2b. Pods kubeadm reset could not remove: it gives each CRI call 2 s (crictl's default) and 5 tries, then warns
#     ("Failed to remove containers: ... context deadline exceeded", seen when etcd and the API server took longer to
#     stop on a busy host after an upgrade) and goes on, which would leave them running once the packages are gone.
#     Stopped and removed again through the CRI, with 60 s a call.
#     Only pods the CRI lists: Docker's containers on a shared containerd are not in its namespace.
cri_pods() {
  crictl --timeout 60s pods -q 2>/dev/null | while read -r pod; do
    case "$pod" in "" | *[!0-9a-f]*) ;; *) printf '%s\n' "$pod" ;; esac
  done
}
pods_left=""
if have crictl; then
  pods_left=$(cri_pods)
  if [ -n "$pods_left" ]; then
    removed=0
    for pod in $pods_left; do
      crictl --timeout 60s stopp "$pod" >/dev/null 2>&1
      if crictl --timeout 60s rmp -f "$pod" >/dev/null 2>&1; then removed=$((removed + 1)); fi
    done
    say "removed $removed pod(s) kubeadm reset left running"
    pods_left=$(cri_pods)
  fi
fi

# 3. Volume mounts under /var/lib/kubelet (kubeadm reset unmounts them; again in case it did not run).
if [ -r /proc/mounts ]; then
  # Deepest first (sort -r), so nested mounts come off before their parents.
  while read -r _ mountpoint _; do
    case "$mountpoint" in /var/lib/kubelet/*) printf '%s\n' "$mountpoint" ;; esac
  done </proc/mounts | sort -r | while read -r mountpoint; do
    if umount "$mountpoint" 2>/dev/null || umount -l "$mountpoint" 2>/dev/null; then
      say "unmounted $mountpoint"
    fi
  done
fi
# The kubelet binds /var/lib/kubelet onto itself to make it a shared mount; that bind outlives kubeadm reset
# until the next reboot. Only a bind (a mount whose root is a subdirectory of its file system) is the kubelet's:
# a disk of its own mounted there (root "/") is the administrator's and stays.
if [ -r /proc/self/mountinfo ]; then
  while read -r _ _ _ root mountpoint _; do
    if [ "$mountpoint" = /var/lib/kubelet ] && [ "$root" != / ]; then
      if umount /var/lib/kubelet 2>/dev/null || umount -l /var/lib/kubelet 2>/dev/null; then
        say "unmounted the kubelet's bind mount of /var/lib/kubelet"
      fi
    fi
  done </proc/self/mountinfo
fi

# 4. Files: what kubeadm reset removes (in case it could not run), and what it leaves.
empty_dir /etc/kubernetes/manifests
empty_dir /etc/kubernetes/pki
remove /etc/kubernetes/admin.conf /etc/kubernetes/super-admin.conf /etc/kubernetes/kubelet.conf \
  /etc/kubernetes/bootstrap-kubelet.conf /etc/kubernetes/controller-manager.conf /etc/kubernetes/scheduler.conf
# This project's working directory (kubeadm configs with tokens).
remove /etc/kubernetes/pulumi-kubeadm
# kubeadm upgrade's backups of the manifests, the kubelet's config and etcd's data (every Secret of the cluster).
remove /etc/kubernetes/tmp
empty_dir /var/lib/etcd
# The etcd snapshots this project took before updates (README "etcd snapshots": copy them off to keep them).
remove /var/lib/etcd-snapshots
empty_dir /var/lib/kubelet
# CNI configuration and state; flannel's run files (subnet.env).
empty_dir /etc/cni/net.d
remove /var/lib/cni /run/flannel

# 5. Links left by flannel (cni0 bridge, VXLAN/WireGuard devices) and kube-proxy's IPVS dummy device.
ipvs_used=no
if have ip; then
  for link in cni0 flannel.1 flannel-v6.1 flannel-wg flannel-wg-v6 kube-ipvs0; do
    if ip link show "$link" >/dev/null 2>&1; then
      [ "$link" = kube-ipvs0 ] && ipvs_used=yes
      if ip link delete "$link"; then say "deleted link $link"; else say "could not delete link $link"; fi
    fi
  done
else
  say "ip is not installed; links not checked"
fi

# 5b. kube-vip's virtual IP, if this host still holds it (any prefix length); the interface's other addresses stay.
if [ -n "$vip_address" ] && [ -n "$vip_interface" ] && have ip; then
  set -f
  for word in $(ip -o addr show dev "$vip_interface" 2>/dev/null); do
    case "$word" in
      "$vip_address"/*)
        if ip addr del "$word" dev "$vip_interface"; then
          say "removed kube-vip's address $word from $vip_interface"
        else
          say "could not remove kube-vip's address $word from $vip_interface"
        fi
        ;;
    esac
  done
  set +f
fi

# 6. iptables rules of kube-proxy, the kubelet, flannel and the CNI portmap plugin: their chains (KUBE-*,
#    FLANNEL-*, CNI-*) and every rule that jumps to them or carries their comments. Each table is rewritten
#    in one iptables-restore, so it never passes through a half-cleaned state, and other rules stay.
is_kube_line() {
  case "$1" in
    :KUBE-* | :FLANNEL-* | :CNI-*) return 0 ;;
    "-A KUBE-"* | "-A FLANNEL-"* | "-A CNI-"*) return 0 ;;
    *" -j KUBE-"* | *" -j FLANNEL-"* | *" -j CNI-"* | *" -g KUBE-"* | *" -g CNI-"*) return 0 ;;
    *"--comment flanneld"* | *'--comment "flanneld'*) return 0 ;;
  esac
  return 1
}
clean_iptables() {
  save="$1-save"
  restore="$1-restore"
  if ! have "$save" || ! have "$restore"; then
    return 0
  fi
  for table in filter nat mangle raw; do
    current=$("$save" -t "$table" 2>/dev/null) || continue
    removed=0
    kept=""
    newline='
'
    while IFS= read -r line; do
      if is_kube_line "$line"; then
        removed=$((removed + 1))
      else
        kept="$kept$line$newline"
      fi
    done <<EOF
$current
EOF
    if [ "$removed" -gt 0 ]; then
      # The input holds this one table, so restore replaces it and leaves the other tables alone.
      if printf '%s' "$kept" | "$restore"; then
        say "removed $removed Kubernetes/flannel/CNI chains and rules from $1 table $table"
      else
        say "could not rewrite $1 table $table"
      fi
    fi
  done
}
if have iptables-save || have ip6tables-save; then
  clean_iptables iptables
  clean_iptables ip6tables
else
  say "iptables is not installed; no rules to clean"
fi

# 7. nftables tables of kube-proxy's nftables mode and of flannel (EnableNFTables); other tables stay.
if have nft; then
  nft list tables 2>/dev/null | while read -r _ family name; do
    case "$name" in
      kube-proxy | flannel*)
        if nft delete table "$family" "$name"; then say "deleted nft table $family $name"; fi
        ;;
    esac
  done
fi

# 8. IPVS virtual services: cleared only when kube-proxy ran in IPVS mode here (kube-ipvs0 existed), since
#    clearing would also remove services that are not Kubernetes'.
if [ "$ipvs_used" = yes ] && have ipvsadm; then
  if ipvsadm --clear; then say "cleared IPVS virtual services"; fi
fi

# 9. Directories kubeadm and the CNI created, once empty (rmdir never removes anything that is still in
#    use): the host ends as it was before the node was set up. Deepest first.
for dir in /etc/kubernetes/pki/etcd /etc/kubernetes/pki /etc/kubernetes/manifests /etc/kubernetes \
  /var/lib/etcd /var/lib/kubelet /etc/cni/net.d /etc/cni; do
  if [ -d "$dir" ] && rmdir "$dir" 2>/dev/null; then say "removed empty $dir"; fi
done

# 10. Check: a host that still has kubeadm's files would fail the next init or join.
left=""
for path in /etc/kubernetes/admin.conf /etc/kubernetes/kubelet.conf /etc/kubernetes/manifests/kube-apiserver.yaml \
  /etc/kubernetes/pki/ca.crt; do
  if [ -e "$path" ]; then left="$left $path"; fi
done
status=0
if [ -n "$pods_left" ]; then
  say "FAILED: $(printf '%s\n' "$pods_left" | wc -l | tr -d ' ') pod(s) still run (crictl pods): stop them with crictl stopp and rmp -f, then destroy again"
  status=1
fi
if [ -n "$left" ]; then
  say "FAILED: still present:$left"
  status=1
fi
[ "$status" -eq 0 ] || exit 1
say "host is clean"
exit 0
