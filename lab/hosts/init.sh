#!/bin/bash
# PID 1 of one lab host until it execs the real systemd (started by lab/hosts/host.ts inside the host's network
# namespace, in fresh mount, UTS, PID, IPC and cgroup namespaces). Killing PID 1 kills every process of the host,
# which is how "host down" and teardown work.
#
# Environment (all set by host.ts):
#   LAB_HOST       host name (becomes the hostname)
#   LAB_HOST_DIR   .lab/<name>/hosts/<host>: upper/ and work/ for the overlays, root/ as the mount point of the new /
#   LAB_SHARED     .lab/<name>/shared, bound on /lab
#   LAB_OVERLAYS   top-level directories that get a private overlay (the rest of / is bound read-only)
#   LAB_DROP_CAPS  capabilities removed from the bounding set of sshd and so of every session (machine-wide powers)
#   LAB_DOUBLES    the repository's lab/doubles, bound read-only on /lab/doubles (the doubles' shared code)
#   LAB_NODE       the Node.js binary the doubles run with, bound read-only on /usr/local/bin/node
#   LAB_DISTRO     ubuntu | rocky: what /lab/doubles/init-host makes the host look like
#   LAB_INIT_ARGS  init-host's options from the host spec (--selinux=enforcing --firewalld), or empty
set -euo pipefail

# sshd's log outlives pivot_root only through an fd opened while the lab directory is still reachable.
exec 3>>"$LAB_HOST_DIR/sshd.log"

root=$LAB_HOST_DIR/root
mkdir -p "$root"
mount -t tmpfs -o mode=0755,size=4m lab-root "$root"
echo "$LAB_HOST" >/proc/sys/kernel/hostname

is_overlay() { case " $LAB_OVERLAYS " in *" $1 "*) return 0 ;; esac; return 1; }

# What the host's systemd, containerd and kubelet need beyond its files (lab/README.md, "Real nodes").
runtime_mounts() {
  # The cgroup v1 hierarchies, mounted inside the host's cgroup namespace: their root is the host's own subtree,
  # writable, as on a machine. Only v1: systemd runs in legacy mode (see the end of this script), so the
  # machine's cgroup2 root is never written to.
  mount -t tmpfs -o mode=0755,nosuid,nodev,noexec,size=64k lab-cgroup "$root/sys/fs/cgroup"
  # (systemd replaces separate cpu and cpuacct hierarchies with links to a joint one it cannot mount on this
  # machine; lab-cgroup-v1.service mounts them again once it has booted.)
  local point options
  while read -r point options; do
    mkdir "$root/sys/fs/cgroup/${point##*/}"
    mount -t cgroup -o "nosuid,nodev,noexec,$options" cgroup "$root/sys/fs/cgroup/${point##*/}"
  done < <(awk '$3 == "cgroup" && $2 ~ "^/sys/fs/cgroup/" { sub(/^rw,|^ro,/, "", $4); print $2, $4 }' /proc/mounts)

  # The kubelet's OOM watcher reads the kernel log; journald must not copy the machine's into every host.
  mknod -m 0600 "$root/dev/kmsg" c 1 11

  # kernel.* and vm.* are machine-wide and stay read-only; the kubelet refuses to start unless they read as it
  # would set them (vm.overcommit_memory=1, kernel.panic=10, ...), so the host sees those values.
  mkdir -p "$root/run/lab/kernel"
  local key value
  for pair in vm/overcommit_memory=1 vm/panic_on_oom=0 kernel/panic=10 kernel/panic_on_oops=1 \
    kernel/keys/root_maxkeys=1000000 kernel/keys/root_maxbytes=25000000; do
    key=${pair%%=*} value=${pair#*=}
    [ -e "$root/proc/sys/$key" ] || continue
    echo "$value" >"$root/run/lab/kernel/${key//\//.}"
    mount --bind "$root/run/lab/kernel/${key//\//.}" "$root/proc/sys/$key"
  done

  # containerd's overlayfs snapshots cannot live on the host's overlay /var: a directory of the real disk.
  mkdir -p "$LAB_HOST_DIR/containerd" "$root/var/lib/containerd"
  mount --bind "$LAB_HOST_DIR/containerd" "$root/var/lib/containerd"

  # sshd (a systemd unit on real nodes) logs where the lab reads it.
  touch "$LAB_HOST_DIR/sshd.log" "$root/run/lab/sshd.log"
  mount --bind "$LAB_HOST_DIR/sshd.log" "$root/run/lab/sshd.log"
}

# Only what a freshly installed machine has at /: the machine's own extras (a checkout, the lab's state dir
# with every host's files and the lab's private key) stay out of the hosts.
fhs=" bin boot etc home lib lib32 lib64 libx32 media mnt opt root sbin srv usr var "
for entry in /*; do
  name=${entry#/}
  case $fhs in *" $name "*) ;; *) continue ;; esac
  if [ -L "$entry" ]; then
    ln -s "$(readlink "$entry")" "$root/$name"
    continue
  fi
  [ -d "$entry" ] || continue
  mkdir "$root/$name"
  if is_overlay "$name"; then
    mkdir -p "$LAB_HOST_DIR/upper/$name" "$LAB_HOST_DIR/work/$name"
    mount -t overlay "lab-$name" \
      -o "lowerdir=/$name,upperdir=$LAB_HOST_DIR/upper/$name,workdir=$LAB_HOST_DIR/work/$name" "$root/$name"
  else
    # Read-only so that nothing run on a host (as root) can change the machine's files.
    mount --rbind "/$name" "$root/$name"
    mount -o remount,bind,ro "$root/$name"
  fi
done
mkdir "$root/proc" "$root/dev" "$root/run" "$root/tmp" "$root/sys" "$root/lab"

# The host's network namespace's sysfs (ip netns exec mounted it on /sys), read-only.
mount --rbind /sys "$root/sys"
mount -o remount,bind,ro "$root/sys"

# A minimal /dev: the machine's disks and consoles stay out of reach; a private devpts gives sessions their PTYs.
mount -t tmpfs -o mode=0755,size=64k,nosuid lab-dev "$root/dev"
for node in null:1:3 zero:1:5 full:1:7 random:1:8 urandom:1:9 tty:5:0; do
  IFS=: read -r dev major minor <<<"$node"
  mknod -m 0666 "$root/dev/$dev" c "$major" "$minor"
done
mkdir "$root/dev/pts" "$root/dev/shm"
mount -t devpts -o newinstance,ptmxmode=0666,mode=0620,gid=5 lab-devpts "$root/dev/pts"
ln -s pts/ptmx "$root/dev/ptmx"
mount -t tmpfs -o mode=1777,nosuid,nodev lab-shm "$root/dev/shm"
ln -s /proc/self/fd "$root/dev/fd"
ln -s /proc/self/fd/0 "$root/dev/stdin"
ln -s /proc/self/fd/1 "$root/dev/stdout"
ln -s /proc/self/fd/2 "$root/dev/stderr"

# /proc of the host's PID namespace. Kernel settings outside net.* are machine-wide, so /proc/sys is read-only
# except its per-network-namespace part; sysrq-trigger (where the kernel has it) could reboot the machine.
mount -t proc lab-proc "$root/proc"
mount --bind "$root/proc/sys" "$root/proc/sys"
mount --bind "$root/proc/sys/net" "$root/proc/sys/net"
mount -o remount,bind,ro "$root/proc/sys"
if [ -e "$root/proc/sysrq-trigger" ]; then
  mount --bind "$root/proc/sysrq-trigger" "$root/proc/sysrq-trigger"
  mount -o remount,bind,ro "$root/proc/sysrq-trigger"
fi

# /run and /tmp start empty at every boot, as on a real machine.
mount -t tmpfs -o mode=0755,nosuid,nodev lab-run "$root/run"
mkdir -p "$root/run/sshd" "$root/run/lock"
mount -t tmpfs -o mode=1777,nosuid,nodev lab-tmp "$root/tmp"

# Lab-wide inputs; the doubles' code and the real tools they wrap are read-only.
mount --bind "$LAB_SHARED" "$root/lab"
for ro in tools doubles; do
  [ -d "$root/lab/$ro" ] || continue
  if [ "$ro" = doubles ]; then
    [ -d "$LAB_DOUBLES" ] || continue
    mount --bind "$LAB_DOUBLES" "$root/lab/doubles"
  else
    mount --bind "$root/lab/$ro" "$root/lab/$ro"
  fi
  mount -o remount,bind,ro "$root/lab/$ro"
done
if [ -n "$LAB_NODE" ] && [ -e "$root/usr/local/bin/node" ]; then
  mount --bind "$LAB_NODE" "$root/usr/local/bin/node"
  mount -o remount,bind,ro "$root/usr/local/bin/node"
fi

runtime_mounts

mkdir "$root/.old-root"
cd "$root"
pivot_root . .old-root
cd /
umount -l /.old-root
rmdir /.old-root

# What systemd would do at boot (modules-load.d, swap from fstab, sysctl.d, enabled units), and on the first
# boot a freshly installed distribution: the doubles' boot script knows their state.
if [ -x /lab/doubles/init-host ]; then
  # shellcheck disable=SC2086 # LAB_INIT_ARGS: the host spec's options, words without spaces (lab/spec.ts)
  /lab/doubles/init-host "$LAB_DISTRO" ${LAB_INIT_ARGS:-} >&3 2>&1 || echo "init-host failed; see sshd.log" >&2
else
  # Without the doubles (a lab started with other ones): at least systemd-sysctl's part, with the
  # machine's sysctl; /proc/sys is read-only outside net.*, so only this host's network settings change.
  /usr/sbin/sysctl -q --system >/dev/null 2>&1 || true
fi

echo "lab host $LAB_HOST up (systemd)"
# A container's systemd reads its arguments as the kernel command line: legacy cgroups only (no cgroup2
# mount, whose root is the machine's). The capabilities that act on the whole machine are dropped here.
exec setpriv --bounding-set "$LAB_DROP_CAPS" -- env -i container=lab LANG=C.UTF-8 \
  /lib/systemd/systemd systemd.unified_cgroup_hierarchy=0 systemd.legacy_systemd_cgroup_controller=1
