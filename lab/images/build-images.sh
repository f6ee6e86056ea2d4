#!/usr/bin/env bash
# Builds every container image a real kubeadm cluster of the lab pulls, from binaries built on this machine (no
# registry exists outside), and pushes them to an OCI registry over plain HTTP:
#
#   - what `kubeadm config images list --image-repository REGISTRY[/PREFIX]` names (kube-apiserver,
#     kube-controller-manager, kube-scheduler, kube-proxy, coredns, pause, etcd; a custom repository has no
#     coredns/ sub-path), so a ClusterConfiguration with imageRepository REGISTRY[/PREFIX] finds them; for each
#     Kubernetes version given (--kubernetes-bin, repeated), what that version's own kubeadm names: a cluster made
#     at one version and upgraded to the next pulls both sets from the same registry;
#   - flannel's images as the vendored manifest names them, rewritten as the add-ons' imageMirror
#     REGISTRY[/PREFIX] rewrites them (components/addons/image-mirror.ts: the registry host is replaced, the
#     repository path and tag are kept): ghcr.io/flannel-io/flannel:v0.28.10 -> REGISTRY[/PREFIX]/flannel-io/flannel:v0.28.10;
#   - kube-vip's image as the product's default (config/schema.ts, DEFAULTS.kubeVipImage) is rewritten by the same
#     imageMirror: ghcr.io/kube-vip/kube-vip:v1.2.2 -> REGISTRY[/PREFIX]/kube-vip/kube-vip:v1.2.2;
#   - a test workload, REGISTRY/library/busybox:<Debian's busybox version> (where a Docker Hub mirror keeps
#     busybox:<version>, whatever the prefix): sh, wget, nslookup, ping, httpd and the other applets.
#
# Each image is one layer on an empty base (crane append), then its config is set (crane mutate): entrypoint,
# PATH, working directory, linux/amd64, and a label with the digest of its inputs, so a re-run skips an image the
# registry already holds as built from the same files. Binaries sit where the upstream images have them; a
# dynamically linked binary brings the shared libraries ldd lists.
#
# Usage: lab/images/build-images.sh --registry HOST:PORT --kubernetes-bin DIR --etcd-bin DIR --node-tools DIR
#          [--coredns-bin DIR] [--prefix PATH] [--list]
#   --kubernetes-bin  kubeadm, kube-apiserver, kube-controller-manager, kube-scheduler, kube-proxy
#                     ($CACHE/kubernetes-v<version>/bin of tools/setup); repeated for each Kubernetes version
#   --etcd-bin        etcd, etcdctl ($CACHE/etcd-v<version>/bin); repeated: each etcd image gets the etcd whose
#                     version its tag names
#   --coredns-bin     a coredns of another version than --node-tools' ($CACHE/coredns-v<version>/bin); repeated, matched
#                     by version like etcd
#   --node-tools      crane, coredns, flanneld, install-conf, flannel, pause, kube-vip ($CACHE/node-tools/bin, from
#                     tools/setup-node.sh)
#   --prefix          repository path under the registry (kubeadm's imageRepository is then REGISTRY/PREFIX)
#   --list            print the image references and exit, building nothing
# Needs on this machine (Debian): iptables, conntrack, busybox-static; nftables' nft is added when installed.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
FLANNEL_MANIFEST="$ROOT/components/addons/vendored/flannel/kube-flannel.yml"
PRODUCT_DEFAULTS="$ROOT/config/schema.ts"
LABEL=pulumi-kubeadm.lab.build-inputs
# Changing how images are laid out changes this, so older images are rebuilt.
LAYOUT_VERSION=1
DEFAULT_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
MULTIARCH_LIB=/usr/lib/x86_64-linux-gnu

die() {
  echo "build-images: error: $*" >&2
  exit 1
}
usage() {
  sed -n 's/^# \{0,1\}//;/^Usage:/,/^Needs/p' "${BASH_SOURCE[0]}" >&2
  exit 2
}

REGISTRY="" NODE_TOOLS="" PREFIX="" LIST=0 KUBE_BINS=() ETCD_BINS=() COREDNS_BINS=()
while [ $# -gt 0 ]; do
  case "$1" in
  --registry) REGISTRY="${2:-}" && shift ;;
  --kubernetes-bin) KUBE_BINS+=("${2:-}") && shift ;;
  --etcd-bin) ETCD_BINS+=("${2:-}") && shift ;;
  --coredns-bin) COREDNS_BINS+=("${2:-}") && shift ;;
  --node-tools) NODE_TOOLS="${2:-}" && shift ;;
  --prefix) PREFIX="${2:-}" && shift ;;
  --list) LIST=1 ;;
  -h | --help) usage ;;
  *) echo "build-images: unknown argument '$1'" >&2 && usage ;;
  esac
  shift
done
[ -n "$REGISTRY" ] && [ ${#KUBE_BINS[@]} -gt 0 ] && [ ${#ETCD_BINS[@]} -gt 0 ] && [ -n "$NODE_TOOLS" ] || usage
# The same test as image-mirror.ts's checkedMirror: a host (with a dot, a port or "localhost") and path parts.
REGISTRY="${REGISTRY%/}"
PREFIX="$(echo "$PREFIX" | sed 's,^/*,,;s,/*$,,')"
[[ "$REGISTRY" =~ ^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?(:[0-9]+)?$ ]] &&
  [[ "$REGISTRY" == *.* || "$REGISTRY" == *:* || "$REGISTRY" == localhost ]] ||
  die "'$REGISTRY' is not a registry host[:port]"
if [ -n "$PREFIX" ]; then
  IFS=/ read -ra parts <<<"$PREFIX"
  for part in "${parts[@]}"; do
    [[ "$part" =~ ^[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*$ ]] || die "'$PREFIX' is not a repository path"
  done
fi
REPO="$REGISTRY${PREFIX:+/$PREFIX}"

for f in "${KUBE_BINS[@]/%//kubeadm}" "$NODE_TOOLS/crane"; do [ -x "$f" ] || die "$f is missing (run tools/setup)"; done
crane() { "$NODE_TOOLS/crane" --insecure "$@"; }

# --- the images and their names -------------------------------------------------------------------------------
# Each version's kubeadm names its own images (kubeadm 1.34 deploys another etcd and CoreDNS than 1.35); an image two
# versions share (pause) is built once. KUBE_BIN_OF: image reference -> the binaries of the version that names it.
KUBEADM_IMAGES=()
declare -A KUBE_BIN_OF=()
for kube_bin in "${KUBE_BINS[@]}"; do
  version="$("$kube_bin/kubeadm" version -o short)"
  listed="$("$kube_bin/kubeadm" config images list --kubernetes-version "$version" \
    --image-repository "$REPO" 2>&1)" || die "kubeadm $version: config images list failed: $listed"
  mapfile -t images < <(echo "$listed" | grep -v '^[WIE][0-9]\{4\} ')
  [ ${#images[@]} -ge 7 ] || die "kubeadm $version: config images list printed ${#images[@]} images, not 7"
  for ref in "${images[@]}"; do
    [ -z "${KUBE_BIN_OF[$ref]:-}" ] || continue
    KUBE_BIN_OF["$ref"]="$kube_bin"
    KUBEADM_IMAGES+=("$ref")
  done
done

# image-mirror.ts's mirrorImage: the first component names a registry only when it looks like a host (a dot, a
# port or "localhost"); Docker Hub's one-component names live under library/; repository path and tag are kept.
mirror_image() {
  local ref="$1" name="$1" tag="" registry=docker.io
  if [[ "$ref" == *:* && "${ref##*:}" != */* ]]; then
    name="${ref%:*}" tag=":${ref##*:}"
  fi
  local first="${name%%/*}"
  if [[ "$name" == */* ]] && [[ "$first" == *.* || "$first" == *:* || "$first" == localhost ]]; then
    registry="$first" name="${name#*/}"
  fi
  case "$registry" in docker.io | index.docker.io | registry-1.docker.io) [[ "$name" == */* ]] || name="library/$name" ;; esac
  echo "$REPO/$name$tag"
}
mapfile -t FLANNEL_SOURCES < <(sed -n 's/^[[:space:]]*image:[[:space:]]*\([^[:space:]]*\).*/\1/p' "$FLANNEL_MANIFEST" | tr -d "\"'" | sort -u)
[ ${#FLANNEL_SOURCES[@]} -eq 2 ] || die "expected 2 images in $FLANNEL_MANIFEST, found: ${FLANNEL_SOURCES[*]}"
for src in "${FLANNEL_SOURCES[@]}"; do
  [[ "$src" != *@* ]] || die "$src is pinned by digest: an image built here cannot have that digest"
done

KUBE_VIP_SOURCE="$(sed -n 's/^[[:space:]]*kubeVipImage: "\(.*\)",$/\1/p' "$PRODUCT_DEFAULTS")"
[ -n "$KUBE_VIP_SOURCE" ] || die "no kubeVipImage default in $PRODUCT_DEFAULTS"

BUSYBOX=/bin/busybox
BUSYBOX_VERSION="$("$BUSYBOX" 2>/dev/null | sed -n '1s/^BusyBox v\([0-9.]*\).*/\1/p')" || true
[ -n "$BUSYBOX_VERSION" ] || die "$BUSYBOX (Debian: busybox-static) is missing"

declare -A KIND=() # image reference -> builder
for ref in "${KUBEADM_IMAGES[@]}"; do
  name="${ref##*/}"
  name="${name%:*}"
  case "$name" in
  kube-apiserver | kube-controller-manager | kube-scheduler | kube-proxy | coredns | pause | etcd) KIND["$ref"]="$name" ;;
  *) die "kubeadm names an image this script cannot build: $ref" ;;
  esac
done
for src in "${FLANNEL_SOURCES[@]}"; do
  ref="$(mirror_image "$src")"
  case "${ref#"$REPO"/}" in
  flannel-io/flannel:*) KIND["$ref"]=flannel FLANNEL_TAG="${ref##*:}" ;;
  flannel-io/flannel-cni-plugin:*) KIND["$ref"]=flannel-cni-plugin ;;
  *) die "the flannel manifest names an image this script cannot build: $src" ;;
  esac
done
KUBE_VIP_REF="$(mirror_image "$KUBE_VIP_SOURCE")"
KIND["$KUBE_VIP_REF"]=kube-vip
KUBE_VIP_TAG="${KUBE_VIP_REF##*:}"
KIND["$REGISTRY/library/busybox:$BUSYBOX_VERSION"]=busybox
ORDER=("${KUBEADM_IMAGES[@]}")
for src in "${FLANNEL_SOURCES[@]}"; do ORDER+=("$(mirror_image "$src")"); done
ORDER+=("$KUBE_VIP_REF")
ORDER+=("$REGISTRY/library/busybox:$BUSYBOX_VERSION")

if [ "$LIST" = 1 ]; then
  printf '%s\n' "${ORDER[@]}"
  exit 0
fi

# Every image carries binaries of the version its tag names, never another version's.
for kube_bin in "${KUBE_BINS[@]}"; do
  version="$("$kube_bin/kubeadm" version -o short)"
  for f in kube-apiserver kube-controller-manager kube-scheduler kube-proxy; do
    [ -x "$kube_bin/$f" ] || die "$kube_bin/$f is missing (run tools/setup)"
    have="$("$kube_bin/$f" --version 2>&1 | tail -n1)"
    [ "$have" = "Kubernetes $version" ] || die "$kube_bin/$f is '$have', not Kubernetes $version like its kubeadm"
  done
done
declare -A ETCD_BIN_OF=() COREDNS_OF=() # version -> etcd's directory, coredns binary
for etcd_bin in "${ETCD_BINS[@]}"; do
  [ -x "$etcd_bin/etcd" ] && [ -x "$etcd_bin/etcdctl" ] || die "$etcd_bin/etcd or etcdctl is missing (run tools/setup)"
  ETCD_BIN_OF["$("$etcd_bin/etcd" --version | sed -n 's/^etcd Version: //p')"]="$etcd_bin"
done
for coredns in "$NODE_TOOLS/coredns" "${COREDNS_BINS[@]/%//coredns}"; do
  [ -x "$coredns" ] || die "$coredns is missing (run tools/setup)"
  COREDNS_OF["$("$coredns" -version | sed -n 's/^CoreDNS-//p')"]="$coredns"
done
for ref in "${KUBEADM_IMAGES[@]}"; do
  tag="${ref##*:}"
  case "${KIND[$ref]}" in
  etcd) [ -n "${ETCD_BIN_OF[${tag%-*}]:-}" ] || die "$ref needs etcd ${tag%-*}: given ${!ETCD_BIN_OF[*]} (--etcd-bin)" ;;
  coredns) [ -n "${COREDNS_OF[${tag#v}]:-}" ] || die "$ref needs CoreDNS ${tag#v}: given ${!COREDNS_OF[*]} (--coredns-bin)" ;;
  esac
done
for f in "$NODE_TOOLS/flanneld" "$NODE_TOOLS/install-conf" \
  "$NODE_TOOLS/flannel" "$NODE_TOOLS/pause" "$NODE_TOOLS/kube-vip" /usr/sbin/xtables-nft-multi /usr/sbin/xtables-legacy-multi /usr/sbin/conntrack; do
  [ -x "$f" ] || die "$f is missing (run tools/setup; Debian packages: iptables, conntrack)"
done
# flannel's image tag and the flanneld put into it must agree.
flanneld_version="$("$NODE_TOOLS/flanneld" --version 2>&1 | tail -n1)"
[ "$flanneld_version" = "$FLANNEL_TAG" ] ||
  die "the flannel manifest asks for $FLANNEL_TAG but $NODE_TOOLS/flanneld is $flanneld_version (FLANNEL_VERSION in tools/versions.env)"
# kube-vip's image tag and the kube-vip put into it must agree.
kube_vip_version="$("$NODE_TOOLS/kube-vip" version 2>&1 | sed -n 's/^Version:[[:space:]]*//p')"
[ "$kube_vip_version" = "$KUBE_VIP_TAG" ] ||
  die "the product deploys kube-vip $KUBE_VIP_TAG but $NODE_TOOLS/kube-vip is ${kube_vip_version:-?} (KUBE_VIP_VERSION in tools/versions.env)"
crane catalog "$REGISTRY" >/dev/null 2>&1 || die "no registry answers at http://$REGISTRY"

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
umask 022

# --- filling a root file system ----------------------------------------------------------------------------------
FS="" # the root file system being filled
# add SRC DEST: a copy of SRC (links followed) at DEST, plus every shared library it loads.
add() {
  install -D -m "$(stat -L -c %a "$1")" "$1" "$FS$2"
  add_libs "$1"
}
# The shared libraries ldd lists for $1 (none for a static binary), where ldd finds them: the dynamic loader of
# Debian's glibc searches /lib/x86_64-linux-gnu and /usr/lib/x86_64-linux-gnu without an ld.so.cache.
add_libs() {
  local lib
  while read -r lib; do
    [ -e "$FS$lib" ] || install -D -m "$(stat -L -c %a "$lib")" "$lib" "$FS$lib"
  done < <(ldd "$1" 2>/dev/null | sed -n 's/.*=> \(\/[^ ]*\) (0x.*/\1/p;s/^[[:space:]]*\(\/[^ ]*\) (0x.*/\1/p')
}
link() { # link TARGET NAME
  mkdir -p "$(dirname "$FS$2")"
  ln -sfn "$1" "$FS$2"
}
# What a distroless base has: users, a /tmp, CA certificates, the services and protocols databases.
add_base() {
  mkdir -p "$FS/etc" "$FS/tmp" "$FS/root"
  chmod 1777 "$FS/tmp"
  chmod 700 "$FS/root"
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n' >"$FS/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\nnonroot:x:65532:\n' >"$FS/etc/group"
  printf 'hosts: files dns\nnetworks: files\nprotocols: files\nservices: files\n' >"$FS/etc/nsswitch.conf"
  local f
  for f in /etc/ssl/certs/ca-certificates.crt /etc/protocols /etc/services; do
    [ -f "$f" ] && install -D -m 0644 "$f" "$FS$f"
  done
  return 0
}
# iptables as kube-proxy and flanneld run it: iptables, iptables-save, iptables-restore and the ip6tables ones,
# each also as -nft and -legacy (what upstream's distroless-iptables image has), the plain names on the nft
# variant (Debian's default, the lab hosts' too; no iptables-wrapper), the xtables extensions, conntrack, and nft
# when this machine has it (kube-proxy's nftables mode).
add_iptables() {
  add /usr/sbin/xtables-nft-multi /usr/sbin/xtables-nft-multi
  add /usr/sbin/xtables-legacy-multi /usr/sbin/xtables-legacy-multi
  local family tool
  for family in iptables ip6tables; do
    for tool in "" -save -restore; do
      link xtables-nft-multi "/usr/sbin/$family$tool"
      link xtables-nft-multi "/usr/sbin/$family-nft$tool"
      link xtables-legacy-multi "/usr/sbin/$family-legacy$tool"
    done
    link xtables-nft-multi "/usr/sbin/$family-translate"
    link xtables-nft-multi "/usr/sbin/$family-restore-translate"
  done
  local so
  mkdir -p "$FS$MULTIARCH_LIB/xtables"
  for so in "$MULTIARCH_LIB"/xtables/*.so; do
    cp -P "$so" "$FS$MULTIARCH_LIB/xtables/"
    add_libs "$so"
  done
  [ -f /etc/ethertypes ] && install -D -m 0644 /etc/ethertypes "$FS/etc/ethertypes"
  # iptables-legacy takes its lock in /run (kube-proxy and flannel mount the host's /run/xtables.lock there).
  mkdir -p "$FS/run"
  add /usr/sbin/conntrack /usr/sbin/conntrack
  if [ -x /usr/sbin/nft ]; then add /usr/sbin/nft /usr/sbin/nft; fi
  return 0
}
add_busybox() { # add_busybox [APPLET...]: /bin/busybox and its applets (all of them when none is named)
  add "$BUSYBOX" /bin/busybox
  local applet
  if [ $# -eq 0 ]; then
    while read -r applet; do
      [ "$applet" = bin/busybox ] || link /bin/busybox "/$applet"
    done < <("$BUSYBOX" --list-full)
  else
    for applet in "$@"; do link /bin/busybox "/bin/$applet"; done
  fi
}

# Sets FS and the config of one image (ENTRYPOINT, CMD, USER, PORTS) for builder $1 and image reference $2.
fill() {
  ENTRYPOINT="" CMD="" USER_ID="" PORTS=""
  local tag="${2##*:}"
  local KUBE_BIN="${KUBE_BIN_OF[$2]:-}" ETCD_BIN="${ETCD_BIN_OF[${tag%-*}]:-}" COREDNS="${COREDNS_OF[${tag#v}]:-}"
  case "$1" in
  kube-apiserver | kube-controller-manager | kube-scheduler)
    add_base
    add "$KUBE_BIN/$1" "/usr/local/bin/$1"
    ENTRYPOINT="/usr/local/bin/$1"
    ;;
  kube-proxy)
    add_base
    add_iptables
    add "$KUBE_BIN/kube-proxy" /usr/local/bin/kube-proxy
    ENTRYPOINT=/usr/local/bin/kube-proxy
    ;;
  etcd)
    add_base
    add "$ETCD_BIN/etcd" /usr/local/bin/etcd
    add "$ETCD_BIN/etcdctl" /usr/local/bin/etcdctl
    if [ -x "$ETCD_BIN/etcdutl" ]; then add "$ETCD_BIN/etcdutl" /usr/local/bin/etcdutl; fi
    mkdir -p "$FS/var/lib/etcd" "$FS/var/etcd"
    ENTRYPOINT=/usr/local/bin/etcd
    ;;
  coredns)
    # Upstream runs it as nonroot with a file capability to bind port 53; kubeadm's Deployment adds
    # NET_BIND_SERVICE and sets no user, so here it runs as root with that one capability.
    add_base
    add "$COREDNS" /coredns
    ENTRYPOINT=/coredns PORTS=53/tcp,53/udp
    ;;
  pause)
    add "$NODE_TOOLS/pause" /pause
    ENTRYPOINT=/pause USER_ID=65535:65535
    ;;
  flannel)
    add_base
    add_iptables
    add "$NODE_TOOLS/flanneld" /opt/bin/flanneld
    add "$NODE_TOOLS/install-conf" /opt/bin/install-conf
    ENTRYPOINT=/opt/bin/flanneld
    ;;
  flannel-cni-plugin)
    # The manifest's init container runs `cp -f /flannel /opt/cni/bin/flannel`.
    add_base
    add "$NODE_TOOLS/flannel" /flannel
    add_busybox cp sh
    CMD=/bin/sh
    ;;
  kube-vip)
    # Upstream's image: the static binary and CA certificates on an empty base.
    add_base
    add "$NODE_TOOLS/kube-vip" /kube-vip
    ENTRYPOINT=/kube-vip
    ;;
  busybox)
    add_base
    add_busybox
    ENTRYPOINT=/bin/sh
    ;;
  *) die "no builder for $1" ;;
  esac
}

# A reproducible tar of $FS: sorted, owned by root, mtime 0, no "./" prefix.
make_layer() {
  (cd "$FS" && find . -mindepth 1 -printf '%P\0' | LC_ALL=C sort -z) |
    tar -C "$FS" --no-recursion --null -T - --format=gnu --numeric-owner --owner=0 --group=0 --mtime=@0 -cf "$1"
}

# --- build and push ---------------------------------------------------------------------------------------------
pushed=0 present=0
for ref in "${ORDER[@]}"; do
  kind="${KIND[$ref]}"
  FS="$WORK/$kind/rootfs"
  rm -rf "$WORK/$kind"
  mkdir -p "$FS"
  fill "$kind" "$ref"
  layer="$WORK/$kind/layer.tar"
  make_layer "$layer"
  config_args=(--set-platform linux/amd64 -w / -e "PATH=$DEFAULT_PATH")
  [ -n "$ENTRYPOINT" ] && config_args+=(--entrypoint "$ENTRYPOINT")
  [ -n "$CMD" ] && config_args+=(--cmd "$CMD")
  [ -n "$USER_ID" ] && config_args+=(-u "$USER_ID")
  [ -n "$PORTS" ] && config_args+=(--exposed-ports "$PORTS")
  inputs="sha256:$({ echo "$LAYOUT_VERSION" && sha256sum <"$layer" && printf '%s\n' "${config_args[@]}"; } | sha256sum | cut -d' ' -f1)"
  if crane config "$ref" 2>/dev/null | grep -qF "\"$LABEL\":\"$inputs\""; then
    echo "up to date: $ref@$(crane digest "$ref")"
    present=$((present + 1))
  else
    crane append --oci-empty-base -f "$layer" -t "$ref" >"$WORK/$kind/append.log" 2>&1 ||
      die "crane append $ref failed: $(cat "$WORK/$kind/append.log")"
    digested="$(crane mutate "$ref" -t "$ref" "${config_args[@]}" -l "$LABEL=$inputs" 2>"$WORK/$kind/mutate.log")" ||
      die "crane mutate $ref failed: $(cat "$WORK/$kind/mutate.log")"
    echo "pushed: $ref@${digested##*@} ($(du -m "$layer" | cut -f1) MB uncompressed)"
    pushed=$((pushed + 1))
  fi
  rm -rf "$WORK/$kind"
done
echo "build-images: ${#ORDER[@]} images in $REPO: $pushed pushed, $present already there" >&2
