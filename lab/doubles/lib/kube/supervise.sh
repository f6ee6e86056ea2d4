#!/bin/sh
# What the kubelet does for one container of a static Pod, for lab/doubles/lib/kube/static-pods.js and kwok.js:
# runs it, and when it exits runs it again after a back-off (the kubelet's CrashLoopBackOff, shortened: 1 s
# doubling to 20 s, back to 1 s once a run lasted a minute). TERM or INT stop the container and then this loop.
# Usage: supervise.sh <name> <binary> [args...]   (stdout/stderr: the container's log)
name=$1
shift
child=
stop() {
  trap - TERM INT
  [ -n "$child" ] && kill -TERM "$child" 2>/dev/null && wait "$child"
  exit 0
}
trap stop TERM INT
delay=1
while :; do
  started=$(date +%s)
  echo "lab: starting $name: $*"
  "$@" </dev/null &
  child=$!
  wait "$child"
  code=$?
  child=
  [ $(($(date +%s) - started)) -ge 60 ] && delay=1
  echo "lab: $name exited with status $code; restarting in ${delay}s (CrashLoopBackOff)"
  # In the background so that TERM is handled at once, not after the sleep.
  sleep "$delay" &
  wait $!
  delay=$((delay * 2))
  [ "$delay" -gt 20 ] && delay=20
done
