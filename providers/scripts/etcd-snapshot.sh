#!/bin/sh
# pulumi-kubeadm: a snapshot of the cluster's etcd, taken on this control plane before a change to it.
#
# etcdctl runs inside the node's own etcd container (kubeadm's etcd image carries it), against the local member,
# with the health-check client certificate kubeadm issues; the file is written in etcd's data directory, which the
# container shares with the host, then moved out of it: `kubeadm reset` empties /var/lib/etcd. The newest $1
# snapshots are kept. Prints one line, "snapshot <path> <bytes> <sha256>", or "no snapshot: <why>" when this node
# runs no etcd container (the update goes on: it may be what repairs the node). POSIX sh; passed to `sh -c`.
set -eu
keep=$1
dir=/var/lib/etcd-snapshots
container=$(crictl ps --name '^etcd$' --state running -q 2>/dev/null | head -n 1)
if [ -z "$container" ]; then
  echo "no snapshot: no etcd container runs on this node"
  exit 0
fi
stamp=$(date -u +%Y%m%dT%H%M%SZ)
part=/var/lib/etcd/pulumi-kubeadm-snapshot.db
pki=/etc/kubernetes/pki/etcd
crictl exec "$container" etcdctl --endpoints=https://127.0.0.1:2379 --cacert="$pki/ca.crt" \
  --cert="$pki/healthcheck-client.crt" --key="$pki/healthcheck-client.key" snapshot save "$part" >/dev/null
# Every secret of the cluster is in it: readable by root only.
mkdir -p "$dir"
chmod 0700 "$dir"
chmod 0600 "$part"
mv -f "$part" "$dir/etcd-$stamp.db"
ls -1 "$dir" | grep -E '^etcd-[0-9]{8}T[0-9]{6}Z\.db$' | sort -r | awk -v keep="$keep" 'NR > keep' |
  while read -r old; do rm -f "$dir/$old"; done
size=$(wc -c <"$dir/etcd-$stamp.db" | tr -d ' ')
sum=$(sha256sum "$dir/etcd-$stamp.db" | awk '{ print $1 }')
echo "snapshot $dir/etcd-$stamp.db $size $sum"
