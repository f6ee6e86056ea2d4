# shellcheck shell=bash
# Sourced by tools/demo, tools/test and .ci/run after tools/setup: puts the pinned toolchain on
# PATH and points Pulumi at a local file backend with no network access.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=tools/versions.env
source "$ROOT/tools/versions.env"
CACHE="${PULUMI_KUBEADM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pulumi-kubeadm}"
# The pinned pulumi and, where the machine's is older, Node.js. pulumi-resource-kubernetes is not on PATH: tools/setup
# installs it into Pulumi's plugin cache, where the engine finds it without a from-PATH warning.
for dir in "$CACHE/pulumi-v$PULUMI_VERSION/bin" "$CACHE/node-v$NODE_VERSION/bin"; do
  [ -d "$dir" ] && case ":$PATH:" in *":$dir:"*) ;; *) PATH="$dir:$PATH" ;; esac
done
# The pinned kubectl, alone (the Kubernetes build dir also holds kubelet, kubeadm...: not for this machine's PATH).
if [ -x "$CACHE/kubernetes-v$KUBERNETES_VERSION/bin/kubectl" ]; then
  mkdir -p "$CACHE/kubectl-v$KUBERNETES_VERSION/bin"
  ln -sfn "$CACHE/kubernetes-v$KUBERNETES_VERSION/bin/kubectl" "$CACHE/kubectl-v$KUBERNETES_VERSION/bin/kubectl"
  case ":$PATH:" in *":$CACHE/kubectl-v$KUBERNETES_VERSION/bin:"*) ;; *) PATH="$CACHE/kubectl-v$KUBERNETES_VERSION/bin:$PATH" ;; esac
fi
export PATH
# State lives in the project (no Pulumi Cloud login); a team sets its own backend URL instead.
export PULUMI_BACKEND_URL="${PULUMI_BACKEND_URL:-file://$ROOT/.pulumi}"
# Nothing may reach for the internet: plugins are built by tools/setup, not downloaded.
export PULUMI_SKIP_UPDATE_CHECK=true
export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
# `npm test` type-checks the program (tsc --noEmit); type-checking it again at every preview and up costs
# about 15 s on a small machine, so the engine only transpiles. Unset it to have Pulumi type-check too.
export PULUMI_NODEJS_TRANSPILE_ONLY="${PULUMI_NODEJS_TRANSPILE_ONLY:-true}"
export PULUMI_KUBEADM_CACHE="$CACHE"
mkdir -p "$ROOT/.pulumi"
# The demo stacks' passphrase (README: "State, secrets and the passphrase"), from the file tools/demo writes, so
# plain `pulumi` commands work on them after sourcing this. Only with the project's own local backend, and never
# over a passphrase you set yourself: PULUMI_CONFIG_PASSPHRASE, when set, wins over the file.
DEMO_PASSPHRASE_FILE="$ROOT/.pulumi/demo-passphrase"
if [ -z "${PULUMI_CONFIG_PASSPHRASE:-}${PULUMI_CONFIG_PASSPHRASE_FILE:-}" ] &&
  [ "$PULUMI_BACKEND_URL" = "file://$ROOT/.pulumi" ] && [ -f "$DEMO_PASSPHRASE_FILE" ]; then
  export PULUMI_CONFIG_PASSPHRASE_FILE="$DEMO_PASSPHRASE_FILE"
fi

# Selects a stack of this project, creating it in the local backend when a fresh clone has only its
# stacks/Pulumi.<name>.yaml (the file's encryptionsalt is kept, so its secrets still decrypt).
ensure_stack() {
  (cd "$ROOT" && pulumi stack select "$1" --non-interactive >/dev/null 2>&1) ||
    (cd "$ROOT" && pulumi stack init "$1" --secrets-provider passphrase --non-interactive >/dev/null)
}
