if [ "${FIREWALLD_MODE:-}" = openPorts ] && firewalld_running; then
  zone=$(firewalld_zone)
  for port in $FIREWALLD_PORTS; do
    for scope in runtime permanent; do
      if ! firewall_cmd_in "$scope" --zone="$zone" --query-port="$port" >/dev/null 2>&1; then
        echo "firewalld no longer lets in $port (zone $zone, $scope configuration)"
      fi
    done
  done
fi
