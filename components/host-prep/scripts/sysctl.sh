# Packet forwarding and bridge netfilter, persistently (and IPv6 forwarding when the cluster's subnets are IPv6).
# The values before the first run are kept so the undo script can put them back.
# Env: IPV6_FORWARDING (true | false)
keys="net.ipv4.ip_forward net.bridge.bridge-nf-call-iptables net.bridge.bridge-nf-call-ip6tables"
if [ "$IPV6_FORWARDING" = true ]; then keys="$keys net.ipv6.conf.all.forwarding"; fi
make_state_dir
if [ ! -f "$state_dir/sysctl.before" ]; then
  # Every key the step may ever set, so that turning IPv6 on later still has its value from before.
  for key in net.ipv4.ip_forward net.bridge.bridge-nf-call-iptables net.bridge.bridge-nf-call-ip6tables \
    net.ipv6.conf.all.forwarding; do
    value=$(sysctl -n "$key" 2>/dev/null) || continue
    printf '%s = %s\n' "$key" "$value"
  done >"$state_dir/sysctl.before"
fi
for key in $keys; do printf '%s = 1\n' "$key"; done | put_file /etc/sysctl.d/99-kubernetes.conf 0644
sysctl -p /etc/sysctl.d/99-kubernetes.conf
