# Packet forwarding and bridge netfilter, persistently. The values before the first run are kept so the
# undo script can put them back.
mkdir -p "$state_dir"
if [ ! -f "$state_dir/sysctl.before" ]; then
  for key in net.ipv4.ip_forward net.bridge.bridge-nf-call-iptables net.bridge.bridge-nf-call-ip6tables; do
    printf '%s = %s\n' "$key" "$(sysctl -n "$key")"
  done >"$state_dir/sysctl.before"
fi
cat >/etc/sysctl.d/99-kubernetes.conf <<CONF
net.ipv4.ip_forward = 1
net.bridge.bridge-nf-call-iptables = 1
net.bridge.bridge-nf-call-ip6tables = 1
CONF
chmod 0644 /etc/sysctl.d/99-kubernetes.conf
sysctl -p /etc/sysctl.d/99-kubernetes.conf
