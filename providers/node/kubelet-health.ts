// The wait after the kubelet was restarted with new flags. `systemctl restart kubelet` (and kubeadm's kubelet-start
// phase) succeed even when the kubelet exits a moment later on a flag it refuses, and the static Pods it left running
// keep the API server answering: without this wait, an update with a bad kubelet flag would succeed, be stored, and a
// node would stay NotReady with nothing in Pulumi saying so.
import type { ExtraArgs } from "../../config/schema";
import { shellQuote } from "../../ssh";

/** The kubelet's default healthz port (KubeletConfiguration healthzPort), which kubeadm keeps. */
const DEFAULT_HEALTHZ_PORT = "10248";
/** A kubelet that starts answers within seconds; the limit is for a slow host pulling nothing. */
const HEALTHY_WITHIN_SECONDS = 90;
const POLL_SECONDS = 2;
/** systemd restarts a kubelet that exits every 10 s (kubeadm's unit): two restarts mean it keeps failing. */
const FAILED_RESTARTS = 2;
/** The kubelet's last journal lines shown on failure: its flag errors are there. */
const JOURNAL_LINES = 8;

/**
 * A script that waits until the kubelet answers 200 on its healthz port, and fails (with the kubelet's last journal
 * lines on stderr) as soon as systemd has had to restart it twice, or after the time limit. The request is made with
 * bash's /dev/tcp: minimal hosts have bash but not always curl. Without bash, or with the healthz port turned off,
 * "healthy" is the unit staying active across five polls with no restart.
 */
export function waitForHealthyKubelet(kubeletArgs: ExtraArgs): string {
  const port = kubeletArgs["healthz-port"] ?? DEFAULT_HEALTHZ_PORT;
  const polls = Math.ceil(HEALTHY_WITHIN_SECONDS / POLL_SECONDS);
  const request = 'exec 3<>"/dev/tcp/127.0.0.1/$0" && printf "GET /healthz HTTP/1.0\\r\\n\\r\\n" >&3 && head -n 1 <&3';
  return [
    "restarts() { systemctl show -p NRestarts --value kubelet 2>/dev/null | grep -x '[0-9][0-9]*' || echo 0; }",
    `port=${shellQuote(port)}`,
    "first=$(restarts)",
    "steady=0",
    "polls=0",
    `while [ "$polls" -lt ${polls} ]; do`,
    '  if [ "$port" != 0 ] && command -v bash >/dev/null 2>&1; then',
    `    if timeout 3 bash -c ${shellQuote(request)} "$port" 2>/dev/null | grep -q ' 200 '; then exit 0; fi`,
    '  elif [ "$(systemctl show -p ActiveState --value kubelet)" = active ] && [ "$(restarts)" = "$first" ]; then',
    "    steady=$((steady + 1))",
    '    if [ "$steady" -ge 5 ]; then exit 0; fi',
    "  else",
    "    steady=0",
    "  fi",
    `  if [ $(($(restarts) - first)) -ge ${FAILED_RESTARTS} ]; then break; fi`,
    "  polls=$((polls + 1))",
    `  sleep ${POLL_SECONDS}`,
    "done",
    `echo "error: the kubelet did not become healthy after its restart (systemd restarted it $(($(restarts) - first)) times); its last messages:" >&2`,
    `journalctl -u kubelet -n ${JOURNAL_LINES} --no-pager -o cat >&2 2>/dev/null`,
    "exit 1",
  ].join("\n");
}
