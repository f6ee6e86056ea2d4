for key in net.ipv4.ip_forward net.bridge.bridge-nf-call-iptables net.bridge.bridge-nf-call-ip6tables; do
  value=$(sysctl -n "$key" 2>/dev/null || echo missing)
  if [ "$value" != 1 ]; then echo "$key is $value, not 1"; fi
done
