# Closes the ports the step opened, and only those; when the zone is otherwise as the step found it, its file is put
# back byte for byte (firewalld rewrites it, keeping a .old copy, on every permanent change).
opened_record="$state_dir/firewalld-opened"
if [ -s "$opened_record" ] && ! firewalld_running; then
  echo "firewalld is not running, so the ports the host preparation opened cannot be closed (they are listed in $opened_record): start it (systemctl start firewalld) and run the destroy again" >&2
  exit 1
fi
if [ -f "$opened_record" ]; then
  while read -r zone port scope; do
    firewall_cmd_in "$scope" --zone="$zone" --remove-port="$port" </dev/null >/dev/null
  done <"$opened_record"
  rm -f "$opened_record"
fi
for before in "$state_dir"/firewalld-zone.*.before; do
  [ -f "$before" ] || continue
  zone=$(basename "$before" .before)
  zone=${zone#firewalld-zone.}
  zone_file="/etc/firewalld/zones/$zone.xml"
  if [ "$(firewall-cmd --permanent --zone="$zone" --list-all)" = "$(cat "$before")" ]; then
    restore_original "$zone_file"
    restore_original "$zone_file.old"
  else
    # The zone's admin changed it since: their file stays.
    rm -f "$(original_record "$zone_file")" "$(original_record "$zone_file").absent" \
      "$(original_record "$zone_file.old")" "$(original_record "$zone_file.old").absent"
  fi
  rm -f "$before"
done
step_undone
echo "firewalld: the ports the host preparation opened are closed again"
