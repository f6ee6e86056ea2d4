# Packet forwarding and bridge netfilter, persistently. The values before the first run are kept so the
# undo script can put them back.
mkdir -p "$state_dir"
if [ ! -f "$state_dir/sysctl.before" ]; then
  for key in net.ipv4.ip_forward net.bridge.bridge-nf-call-iptables net.bridge.bridge-nf-call-ip6tables; do
    printf '%s = %s\n' "$key" "$(sysctl -n "$key")"
  done >"$state_dir/sysctl.before"
fi
put_file /etc/sysctl.d/99-kubernetes.conf 0644 <<CONF
net.ipv4.ip_forward = 1
net.bridge.bridge-nf-call-iptables = 1
net.bridge.bridge-nf-call-ip6tables = 1
CONF
sysctl -p /etc/sysctl.d/99-kubernetes.conf
