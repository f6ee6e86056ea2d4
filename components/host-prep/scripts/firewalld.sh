# The ports kubeadm documents for this node's role (and the pod network's), opened in firewalld's zone for this node's
# address, in the runtime configuration (now) and the permanent one (after a reload or reboot). Ports that were open
# already are left alone and not recorded: the undo closes only what this step opened
# ($state_dir/firewalld-opened: "<zone> <port> <permanent|runtime>" a line). firewalld not running: nothing.
# Env: FIREWALLD_MODE (openPorts | keep), FIREWALLD_PORTS ("6443/tcp 8472/udp ..."), NODE_ADDRESS
if [ "$FIREWALLD_MODE" = keep ]; then
  echo "firewalld left as it is (hostPrep.firewalld is keep)"
  exit 0
fi
if ! firewalld_running; then
  echo "firewalld is not running: no ports to open"
  exit 0
fi
opened_record="$state_dir/firewalld-opened"
zone=$(firewalld_zone)
make_state_dir
touch "$opened_record"

# Closes what this run opened when a later port fails, so a failed step leaves firewalld as it found it.
close_opened_now() {
  local z p s
  [ -f "$step_work/opened" ] || return 0
  while read -r z p s; do
    firewall_cmd_in "$s" --zone="$z" --remove-port="$p" </dev/null >/dev/null 2>&1 || true
    grep -vxF -- "$z $p $s" "$opened_record" >"$opened_record.new" || true
    mv -f "$opened_record.new" "$opened_record"
  done <"$step_work/opened"
}

# The zone file as firewalld had it, put back by the undo when nothing else changed in the zone meanwhile.
zone_file="/etc/firewalld/zones/$zone.xml"
if [ ! -f "$state_dir/firewalld-zone.$zone.before" ]; then
  keep_original "$zone_file"
  keep_original "$zone_file.old"
  firewall-cmd --permanent --zone="$zone" --list-all >"$state_dir/firewalld-zone.$zone.before"
fi

# Ports an earlier run opened that the node no longer needs (another role, another pod network backend): closed.
while read -r z p s; do
  case " $FIREWALLD_PORTS " in
    *" $p "*) if [ "$z" = "$zone" ]; then continue; fi ;;
  esac
  firewall_cmd_in "$s" --zone="$z" --remove-port="$p" </dev/null >/dev/null
  grep -vxF -- "$z $p $s" "$opened_record" >"$opened_record.new" || true
  mv -f "$opened_record.new" "$opened_record"
done <"$opened_record"

for port in $FIREWALLD_PORTS; do
  for scope in permanent runtime; do
    if firewall_cmd_in "$scope" --zone="$zone" --query-port="$port" >/dev/null 2>&1; then continue; fi
    if ! firewall_cmd_in "$scope" --zone="$zone" --add-port="$port" >/dev/null; then
      close_opened_now
      echo "firewall-cmd could not open $port in zone $zone ($scope configuration)" >&2
      exit 1
    fi
    printf '%s %s %s\n' "$zone" "$port" "$scope" >>"$step_work/opened"
    if ! grep -qxF -- "$zone $port $scope" "$opened_record"; then
      printf '%s %s %s\n' "$zone" "$port" "$scope" >>"$opened_record"
    fi
  done
done
if [ -f "$step_work/opened" ]; then
  echo "firewalld lets in $(awk '{ print $2 }' "$step_work/opened" | sort -u | tr '\n' ' ')(zone $zone)"
else
  echo "firewalld lets in every port this node needs already (zone $zone)"
fi
