# Prepended to every HostPrep script: strict mode and the few helpers the steps share. Functions declare their
# variables `local` (dash, bash and busybox sh have it, though POSIX does not): the steps' own loops use names
# such as path and record too.
set -eu

state_dir=/var/lib/pulumi-kubeadm

# Runs a command whose chatter is not worth a line each (a package manager's "Unpacking ...", "Setting up ..."):
# one line says what runs, and the command's own output is shown only when it fails (its last 50 lines, on stderr,
# where the step's error shows them). The engine shows every line a step prints as a row of its own.
quietly() {
  local what="$1" log status=0
  shift
  echo "$what"
  log=$(mktemp)
  "$@" >"$log" 2>&1 || status=$?
  [ "$status" -eq 0 ] || tail -n 50 "$log" >&2
  rm -f "$log"
  return "$status"
}

# apt on Debian/Ubuntu, dnf (or yum) on RHEL/Rocky/CentOS: the two families the product prepares.
package_family() {
  if command -v apt-get >/dev/null 2>&1; then
    echo apt
  elif command -v dnf >/dev/null 2>&1; then
    echo dnf
  elif command -v yum >/dev/null 2>&1; then
    echo yum
  else
    echo "no supported package manager found (need apt-get, dnf or yum)" >&2
    exit 1
  fi
}

# A step either completes or leaves the host as it found it: every file it writes goes through put_file, which keeps
# what was there (or that nothing was), and when the step fails the EXIT trap puts all of it back. The state still
# holds the step's previous inputs then, so the host matches the state, and the next `pulumi up` runs the step again.
# The step's own temporary files live in step_work, removed whatever happens.
step_work=$(mktemp -d /tmp/pulumi-kubeadm-step.XXXXXX)
trap 'finish_step $?' EXIT

# put_file PATH MODE: the new content comes on stdin; written beside PATH, then moved into place in one rename.
put_file() {
  keep_before_step "$1"
  keep_original "$1"
  printf '%s\n' "$1" >>"$step_work/put"
  cat >"$1.pulumi-kubeadm-new"
  chmod "$2" "$1.pulumi-kubeadm-new"
  mv -f "$1.pulumi-kubeadm-new" "$1"
}

# Keeps PATH as it is now, the first time this step touches it.
keep_before_step() {
  local index
  if [ -f "$step_work/paths" ] && grep -qxF -- "$1" "$step_work/paths"; then return 0; fi
  index=$(if [ -f "$step_work/paths" ]; then wc -l <"$step_work/paths"; else echo 0; fi)
  if [ -e "$1" ]; then cp -p -- "$1" "$step_work/kept.$index"; fi
  printf '%s\n' "$1" >>"$step_work/paths"
}

finish_step() {
  local record path index
  if [ "$1" -eq 0 ] && [ -f "$step_work/restored" ]; then
    while IFS= read -r record; do rm -f -- "$record" "$record.absent"; done <"$step_work/restored"
  fi
  # A failed first write puts the file back as the host had it: its record of the original says nothing more.
  if [ "$1" -ne 0 ] && [ -f "$step_work/new-records" ]; then
    while IFS= read -r record; do rm -f -- "$record"; done <"$step_work/new-records"
  fi
  # The checksums of what a successful run wrote: a refresh compares the host with them (check_written).
  if [ "$1" -eq 0 ] && [ -f "$step_work/put" ] && [ -n "${PULUMI_KUBEADM_STEP:-}" ]; then
    mkdir -p "$checksums_dir"
    sort -u "$step_work/put" | while IFS= read -r path; do sha256sum -- "$path"; done >"$checksums_dir/$PULUMI_KUBEADM_STEP"
  fi
  if [ "$1" -ne 0 ] && [ -f "$step_work/paths" ]; then
    index=0
    while IFS= read -r path; do
      if [ -e "$step_work/kept.$index" ]; then cp -p -- "$step_work/kept.$index" "$path"; else rm -f -- "$path"; fi
      rm -f -- "$path.pulumi-kubeadm-new"
      index=$((index + 1))
    done <"$step_work/paths"
    echo "the step failed; the files it wrote are back as they were before it ran" >&2
  fi
  # Which steps a command:remote:Command ran: a stack created before HostPrep moved to the command provider still
  # holds a RemoteStep resource per step, which the first `up` after the move deletes once the Commands ran the
  # steps again; that delete must then leave the host alone (providers/remote-step/delete.ts looks here). Only in a
  # state directory that is there already: a host such a stack prepared has one, and a step that records nothing
  # (the preflight, a step set to keep) must not make one, which would also lack the originals directory that
  # keep_original needs (make_state_dir).
  if [ "$1" -eq 0 ] && [ -z "${step_undone:-}" ] && [ -n "${PULUMI_KUBEADM_COMMAND:-}" ] && [ -d "$state_dir" ]; then
    mkdir -p "$commands_dir"
    : >"$commands_dir/$PULUMI_KUBEADM_STEP"
  fi
  if [ "$1" -ne 0 ] || [ -n "${step_undone:-}" ]; then
    if [ -n "${step_undone:-}" ]; then rm -f -- "$checksums_dir/${PULUMI_KUBEADM_STEP:-}" "$commands_dir/${PULUMI_KUBEADM_STEP:-}"; fi
    forget_state_dir
  fi
  rm -rf -- "$step_work"
  exit "$1"
}

# What the host had at a path before the product first wrote there, kept until an undo puts it back: a replaced
# file comes back byte for byte, a file the product added is removed, and nothing the product did not write is
# touched. Records are named after the path, '/' written as '%'.
originals_dir="$state_dir/originals"

original_record() {
  printf '%s/%s' "$originals_dir" "$(printf '%s' "$1" | sed 's#/#%#g')"
}

keep_original() {
  local record
  record=$(original_record "$1")
  if [ -e "$record" ] || [ -e "$record.absent" ]; then return 0; fi
  # A host prepared by a version that kept no originals holds that version's files, not the host's own: the undo
  # removes them, as that version's undo did.
  if [ -d "$state_dir" ] && [ ! -d "$originals_dir" ]; then
    mkdir -p "$originals_dir"
    : >"$originals_dir/.prepared-without-originals"
  fi
  mkdir -p "$originals_dir"
  if [ -e "$1" ] && [ ! -e "$originals_dir/.prepared-without-originals" ]; then
    cp -p -- "$1" "$record"
    printf '%s\n' "$record" >>"$step_work/new-records"
  else
    : >"$record.absent"
    printf '%s\n' "$record.absent" >>"$step_work/new-records"
  fi
}

# restore_original PATH: puts back what the host had at PATH before the product wrote it. The record is forgotten
# when the step succeeds; a failed step puts PATH back as the product had it, record kept.
restore_original() {
  local record
  record=$(original_record "$1")
  if [ -e "$record" ]; then
    keep_before_step "$1"
    cp -p -- "$record" "$1"
  elif [ -e "$record.absent" ]; then
    keep_before_step "$1"
    rm -f -- "$1"
  else
    return 0
  fi
  printf '%s\n' "$record" >>"$step_work/restored"
}

# The paths under DIR the product wrote (and keeps the originals of), one a line.
written_under() {
  local record path
  [ -d "$originals_dir" ] || return 0
  for record in "$originals_dir"/*; do
    [ -e "$record" ] || continue
    path=$(basename "$record" .absent | sed 's#%#/#g')
    case "$path" in "$1"/*) printf '%s\n' "$path" ;; esac
  done
}

# What a step found changed on the host since it last ran, a line each: a file it wrote that was edited or removed.
# Step-specific checks (the *-check.sh scripts) add what a file cannot show: swap, packages, services.
checksums_dir="$state_dir/written"
commands_dir="$state_dir/commands"
check_written() {
  [ -f "$checksums_dir/${PULUMI_KUBEADM_STEP:-}" ] || return 0
  sha256sum --quiet -c "$checksums_dir/$PULUMI_KUBEADM_STEP" 2>/dev/null |
    sed -n 's/^\(.*\): FAILED.*$/\1 was edited or removed since the step wrote it/p'
}

# Ends every undo: once it succeeded, the step's record of what it wrote goes, and the state directory once nothing
# is left in it (finish_step does it, after the records of restored files are gone).
step_undone() {
  step_undone=1
}

# Removes the product's state directory once nothing is left in it. The originals directory goes only with it: a
# state directory without one is what a version that kept no originals left (keep_original).
forget_state_dir() {
  rmdir "$checksums_dir" "$commands_dir" 2>/dev/null || true
  [ -d "$state_dir" ] || return 0
  if [ -n "$(ls -A "$state_dir" | grep -vx originals)" ]; then return 0; fi
  if [ -d "$originals_dir" ] && [ -z "$(ls -A "$originals_dir" | grep -vx '.prepared-without-originals')" ]; then
    rm -f "$originals_dir/.prepared-without-originals"
  fi
  rmdir "$originals_dir" 2>/dev/null || true
  rmdir "$state_dir" 2>/dev/null || true
}

# Every step makes the state directory with this: one this version creates has its originals directory from the
# start, so that keep_original never takes a record kept there (swap-off's swap.target state, say) for the leftovers
# of a version that kept no originals, and records the host's own files as absent (an undo would delete them).
make_state_dir() {
  if [ ! -d "$state_dir" ]; then mkdir -p "$originals_dir"; fi
  mkdir -p "$state_dir"
}

# Downloads a URL to a file, naming the URL and the setting it came from: mirror problems are the usual cause
# behind a firewall. Usage: fetch URL FILE SETTING
fetch() {
  if ! curl -fsSL --retry 3 -o "$2" "$1"; then
    echo "cannot download $1 (from $3 in the stack config): check the URL and that this host reaches it" >&2
    exit 1
  fi
}

# Waits until a systemd unit is active (containerd takes a moment after a restart).
wait_active() {
  local unit=$1 tries=0
  until systemctl is-active --quiet "$unit"; do
    tries=$((tries + 1))
    if [ "$tries" -ge 30 ]; then
      echo "$unit did not become active:" >&2
      systemctl status "$unit" >&2 || true
      exit 1
    fi
    sleep 1
  done
}


# firewalld, for the steps that open the cluster's ports and the preflight that checks them.
firewalld_running() {
  command -v firewall-cmd >/dev/null 2>&1 && firewall-cmd --state >/dev/null 2>&1
}

# The firewalld zone this node's traffic arrives in: the zone of the interface holding NODE_ADDRESS, else the default
# zone (where firewalld puts every interface no zone names).
firewalld_zone() {
  local iface zone
  iface=$(ip -o addr show 2>/dev/null | awk -v address="$NODE_ADDRESS" '{ split($4, a, "/"); if (a[1] == address) { print $2; exit } }')
  if [ -n "$iface" ] && zone=$(firewall-cmd --get-zone-of-interface="$iface" 2>/dev/null) && [ -n "$zone" ]; then
    printf '%s\n' "$zone"
  else
    firewall-cmd --get-default-zone
  fi
}

# firewall_cmd_in permanent|runtime ARGS...: firewall-cmd on that configuration (firewalld keeps the two apart: the
# runtime one is what filters now, the permanent one what it loads at boot and reload).
firewall_cmd_in() {
  local scope=$1
  shift
  if [ "$scope" = permanent ]; then firewall-cmd --permanent "$@"; else firewall-cmd "$@"; fi
}
