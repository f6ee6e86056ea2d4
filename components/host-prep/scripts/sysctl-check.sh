keys="net.ipv4.ip_forward net.bridge.bridge-nf-call-iptables net.bridge.bridge-nf-call-ip6tables"
if [ "$IPV6_FORWARDING" = true ]; then keys="$keys net.ipv6.conf.all.forwarding"; fi
for key in $keys; do
  value=$(sysctl -n "$key" 2>/dev/null || echo missing)
  if [ "$value" != 1 ]; then echo "$key is $value, not 1"; fi
done
