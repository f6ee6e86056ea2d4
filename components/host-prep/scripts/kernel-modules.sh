# overlay for containerd's snapshotter, br_netfilter so bridged pod traffic passes through iptables.
printf 'overlay\nbr_netfilter\n' | put_file /etc/modules-load.d/kubernetes.conf 0644
modprobe overlay
modprobe br_netfilter
echo "kernel modules overlay and br_netfilter loaded (now and at boot)"
