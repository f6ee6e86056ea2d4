# shellcheck shell=bash
# Sourced by tools/setup (uses its run_step, say, die, $CACHE, $LOGS): builds what a real kubeadm node of the lab
# runs besides the Kubernetes binaries, and what lab/images/build-images.sh puts into the cluster's images. All from
# the Go module proxy except pause (C, from the k8s.io/kubernetes module, compiled with gcc -static).
#
#   crictl      the CRI client on the nodes
#   coredns     the DNS add-on kubeadm deploys (at COREDNS_VERSION, and at COREDNS_PREVIOUS_VERSION for the clusters
#               the upgrade tests start at KUBERNETES_PREVIOUS_VERSION)
#   flanneld    flannel's daemon (without its Tencent Cloud backend, see build_flannel), and install-conf
#               (flannel's init container copies the CNI config with it)
#   flannel     flannel's CNI plugin (see FLANNEL_CNI_* below: built from containernetworking/plugins)
#   crane       assembles and pushes the images (no Docker, no registry outside)
#   pause       the sandbox image's only binary
#   kube-vip    the control-plane virtual IP's static Pod (the version the product's kube-vip image names)
#
# Each is cached in $CACHE/<name>-v<version>/bin (written to bin.partial, then moved), and linked into
# $CACHE/node-tools/bin, the one directory build-images.sh is given (--node-tools).
#
# Pins: tools/versions.env wins when it sets these; the defaults are the versions this file was written for.
# crictl: the proxy serves cri-tools v1.34.0 and v1.37.0, not v1.35.x; 1.34 is the nearest to Kubernetes 1.35
# (crictl speaks CRI v1 to any runtime, one minor of skew is what cri-tools supports).
: "${CRI_TOOLS_VERSION:=1.34.0}"
# CoreDNS: kubeadm 1.35's constants.CoreDNSVersion (checked against the k8s.io/kubernetes module below), and kubeadm
# 1.34's for the previous version's clusters.
: "${COREDNS_VERSION:=1.13.1}"
: "${COREDNS_PREVIOUS_VERSION:=1.12.1}"
# flannel and its CNI plugin image tag: the versions components/addons/vendored/flannel/kube-flannel.yml references.
: "${FLANNEL_VERSION:=0.28.10}"
: "${FLANNEL_CNI_PLUGIN_VERSION:=1.9.1-flannel3}"
# The proxy serves no version of github.com/flannel-io/cni-plugin (403 for every version and for the list). Its
# code started as plugins/meta/flannel of github.com/containernetworking/plugins, last shipped there in v0.9.1;
# built against CNI library v1.3.0 it accepts the manifest's cniVersion "1.0.0" (with v0.9.1's own v0.8.1 it
# would refuse anything above 0.4.0), and it behaves like cni-plugin v1.9.1 for a single-network flannel:
# reads /run/flannel/subnet.env, delegates to bridge (isGateway, ipMasq, mtu) with host-local IPAM.
: "${FLANNEL_CNI_PLUGINS_VERSION:=0.9.1}"
: "${FLANNEL_CNI_LIBRARY_VERSION:=1.3.0}"
: "${CRANE_VERSION:=0.22.1}"
# pause: kubeadm 1.35's constants.PauseVersion (checked below).
: "${PAUSE_VERSION:=3.10.1}"
# kube-vip: the tag of the product's default image (config/schema.ts, DEFAULTS.kubeVipImage; checked below). The
# proxy refuses the module's version list (403), but serves this version.
: "${KUBE_VIP_VERSION:=1.2.2}"

NODE_TOOLS_BIN="$CACHE/node-tools/bin"

# $1 = cache dir (bin), $2 = a name for the wrapper module, $3 = extra go build flags (word-split),
# then requirements (module@version, one word each) until "--", then per binary four words: output name, main
# package, CGO_ENABLED, ldflags ("-s -w" is always added). One wrapper module per tool: its dependency graph stays
# the tool's own (a shared one would upgrade one tool's dependencies to another's).
build_go_tools() {
  local out="$1" name="$2" extra="$3" work
  shift 3
  local reqs=()
  while [ $# -gt 0 ] && [ "$1" != -- ]; do
    reqs+=("$1")
    shift
  done
  shift
  work="$(mktemp -d)"
  (
    cd "$work" || exit
    go mod init "pulumi-kubeadm.local/tools/$name" >/dev/null 2>&1
    local req
    for req in "${reqs[@]}"; do echo "require ${req%@*} ${req#*@}" >>go.mod; done
    local args=("$@") i
    {
      printf '//go:build tools\n\npackage tools\n\nimport (\n'
      for ((i = 1; i < ${#args[@]}; i += 4)); do printf '\t_ "%s"\n' "${args[i]}"; done
      printf ')\n'
    } >tools.go
    # shellcheck disable=SC2086 # GO_TIDY_FLAGS: a caller's local, e.g. -e
    GOFLAGS=-mod=mod go mod tidy ${GO_TIDY_FLAGS:-}
    rm -rf "$out.partial"
    mkdir -p "$out.partial"
    for ((i = 0; i < ${#args[@]}; i += 4)); do
      # shellcheck disable=SC2086 # $extra is a list of flags
      CGO_ENABLED="${args[i + 2]}" go_build -trimpath $extra -ldflags "-s -w ${args[i + 3]}" \
        -o "$out.partial/${args[i]}" "${args[i + 1]}"
    done
  )
  rm -rf "$work" "$out"
  mv "$out.partial" "$out"
}

# The directory of module@version in the module cache (downloaded when missing).
go_module_dir() {
  local dir
  dir="$(go mod download -json "$1" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')"
  if [ -z "$dir" ] || [ ! -d "$dir" ]; then
    echo "cannot download $1 from the Go module proxy ($(go env GOPROXY))" >&2
    return 1
  fi
  echo "$dir"
}

build_crictl() {
  build_go_tools "$1" crictl "" "sigs.k8s.io/cri-tools@v$CRI_TOOLS_VERSION" -- \
    crictl sigs.k8s.io/cri-tools/cmd/crictl 0 "-X sigs.k8s.io/cri-tools/pkg/version.Version=$CRI_TOOLS_VERSION"
}

# $1 = cache dir (bin), $2 = version.
build_coredns() {
  # CoreDNS's own build stamps the commit (the version is a constant, coremain.CoreVersion); the proxy knows it.
  local commit
  commit="$(go mod download -json "github.com/coredns/coredns@v$2" |
    sed -n 's/^[[:space:]]*"Hash": "\([0-9a-f]\{7\}\).*/\1/p' | head -n1)"
  build_go_tools "$1" coredns "" "github.com/coredns/coredns@v$2" -- \
    coredns github.com/coredns/coredns 0 "${commit:+-X github.com/coredns/coredns/coremain.GitCommit=$commit}"
}

# The proxy serves no version of the Tencent Cloud SDK module flannel's tencentvpc backend imports (403), so flannel
# is built in a copy of its module with that backend's import dropped from main.go (a cloud-only backend; the
# lab runs vxlan) and the requirement removed. flanneld's UDP backend is cgo on amd64: flannel's Makefile builds
# it with CGO_ENABLED=1 and a static link; netgo/osusergo keep glibc's NSS (which a static binary cannot load)
# out of it. install-conf (the init container's command, copying the CNI config) is cgo-free, as in flannel's image.
build_flannel() {
  local out="$1" src work
  src="$(go_module_dir "github.com/flannel-io/flannel@v$FLANNEL_VERSION")"
  work="$(mktemp -d)"
  cp -r "$src"/. "$work"/
  chmod -R u+w "$work"
  (
    cd "$work" || exit
    sed -i '\#"github.com/flannel-io/flannel/pkg/backend/tencentvpc"#d' main.go
    ! grep -q tencentvpc main.go || {
      echo "main.go still imports the tencentvpc backend"
      exit 1
    }
    go mod edit -droprequire github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/vpc
    rm -rf "$out.partial"
    mkdir -p "$out.partial"
    CGO_ENABLED=1 go_build -mod=mod -trimpath -tags netgo,osusergo -o "$out.partial/flanneld" \
      -ldflags "-s -w -X github.com/flannel-io/flannel/pkg/version.Version=v$FLANNEL_VERSION -extldflags -static" .
    CGO_ENABLED=0 go_build -mod=mod -trimpath -ldflags "-s -w" -o "$out.partial/install-conf" ./cmd/install_conf
  )
  rm -rf "$work" "$out"
  mv "$out.partial" "$out"
}

build_flannel_cni() {
  # Its Windows files import CNI packages that v1.x no longer has; tidy looks at every platform, so it is told to
  # carry on (-e): the Linux build needs none of them and fails by itself if anything is really missing.
  local GO_TIDY_FLAGS=-e
  build_go_tools "$1" cni-flannel "" \
    "github.com/containernetworking/plugins@v$FLANNEL_CNI_PLUGINS_VERSION" \
    "github.com/containernetworking/cni@v$FLANNEL_CNI_LIBRARY_VERSION" -- \
    flannel github.com/containernetworking/plugins/plugins/meta/flannel 0 \
    "-X github.com/containernetworking/plugins/pkg/utils/buildversion.BuildVersion=v$FLANNEL_CNI_PLUGINS_VERSION"
}

build_crane() {
  build_go_tools "$1" crane "" "github.com/google/go-containerregistry@v$CRANE_VERSION" -- \
    crane github.com/google/go-containerregistry/cmd/crane 0 \
    "-X github.com/google/go-containerregistry/cmd/crane/cmd.Version=v$CRANE_VERSION"
}

# kube-vip as its Makefile builds it (CGO_ENABLED=0, main.Version and main.Build: the tag and its commit, which the
# proxy's Origin names).
build_kube_vip() {
  local commit
  commit="$(go mod download -json "github.com/kube-vip/kube-vip@v$KUBE_VIP_VERSION" |
    sed -n 's/^[[:space:]]*"Hash": "\([0-9a-f]\{40\}\)".*/\1/p' | head -n1)"
  build_go_tools "$1" kube-vip "" "github.com/kube-vip/kube-vip@v$KUBE_VIP_VERSION" -- \
    kube-vip github.com/kube-vip/kube-vip 0 "-X main.Version=v$KUBE_VIP_VERSION${commit:+ -X main.Build=$commit}"
}

# The kube-vip the product deploys by default must be the one built here: the lab's image carries its tag.
check_kube_vip_version() {
  local image
  image="$(sed -n 's/^[[:space:]]*kubeVipImage: "\(.*\)",$/\1/p' "$ROOT/config/schema.ts")"
  [ "${image##*:}" = "v$KUBE_VIP_VERSION" ] ||
    die "the product deploys ${image:-?} by default but KUBE_VIP_VERSION=$KUBE_VIP_VERSION: change the pin (tools/versions.env)"
}

# pause.c of the Kubernetes release, compiled as its Makefile does (-Os -Wall -Werror -static, then strip).
build_pause() {
  local out="$1" src
  src="$(go_module_dir "k8s.io/kubernetes@v$KUBERNETES_VERSION")"
  rm -rf "$out.partial"
  mkdir -p "$out.partial"
  gcc -Os -Wall -Werror -static -DVERSION="v$PAUSE_VERSION" -o "$out.partial/pause" "$src/build/pause/linux/pause.c"
  strip "$out.partial/pause"
  rm -rf "$out"
  mv "$out.partial" "$out"
}

# The versions a kubeadm deploys must be the ones pinned here: the images carry kubeadm's tags. $1 = Kubernetes
# version, then the names of the pins for its CoreDNS and etcd (the pause image is one for both versions).
check_kubeadm_image_versions() {
  local version="$1" dns_pin="$2" etcd_pin="$3" src constants want_dns want_pause want_etcd
  src="$(go_module_dir "k8s.io/kubernetes@v$version")" || die "cannot download k8s.io/kubernetes@v$version"
  constants="$src/cmd/kubeadm/app/constants/constants.go"
  want_dns="$(sed -n 's/^[[:space:]]*CoreDNSVersion = "v\(.*\)"/\1/p' "$constants")"
  want_pause="$(sed -n 's/^[[:space:]]*PauseVersion = "\(.*\)"/\1/p' "$constants")"
  want_etcd="$(sed -n 's/^[[:space:]]*DefaultEtcdVersion = "\(.*\)-[0-9]*"/\1/p' "$constants")"
  [ "$want_dns" = "${!dns_pin}" ] ||
    die "kubeadm v$version deploys CoreDNS ${want_dns:-?} but $dns_pin=${!dns_pin}: change the pin (tools/versions.env)"
  [ "$want_pause" = "$PAUSE_VERSION" ] ||
    die "kubeadm v$version uses pause ${want_pause:-?} but PAUSE_VERSION=$PAUSE_VERSION: change the pin (tools/versions.env)"
  [ "$want_etcd" = "${!etcd_pin}" ] ||
    die "kubeadm v$version deploys etcd ${want_etcd:-?} but $etcd_pin=${!etcd_pin}: change the pin (tools/versions.env)"
}

# gcc and a static libc for pause and flanneld (cgo, static).
ensure_c_toolchain() {
  command -v gcc >/dev/null && [ -f /usr/lib/x86_64-linux-gnu/libc.a ] && return
  local pkgs="gcc libc6-dev"
  [ "${PULUMI_KUBEADM_SKIP_APT:-}" = 1 ] && die "pause and flanneld need gcc and a static libc: install $pkgs (PULUMI_KUBEADM_SKIP_APT=1 is set)"
  [ "$(id -u)" = 0 ] || die "pause and flanneld need gcc and a static libc: run 'sudo apt-get install $pkgs'"
  run_step "installing Debian packages: $pkgs" "$LOGS/apt-gcc.log" "check the apt sources" \
    bash -c "apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $pkgs"
}

ensure_node_tools() {
  command -v go >/dev/null || die "Go is needed to build the node tools: install Go >= 1.26"
  check_kubeadm_image_versions "$KUBERNETES_VERSION" COREDNS_VERSION ETCD_VERSION
  check_kubeadm_image_versions "$KUBERNETES_PREVIOUS_VERSION" COREDNS_PREVIOUS_VERSION ETCD_PREVIOUS_VERSION
  check_kube_vip_version
  local hint
  hint="check GOPROXY ($(go env GOPROXY)) and the log"
  local crictl="$CACHE/cri-tools-v$CRI_TOOLS_VERSION/bin" coredns="$CACHE/coredns-v$COREDNS_VERSION/bin"
  local coredns_previous="$CACHE/coredns-v$COREDNS_PREVIOUS_VERSION/bin"
  local flannel="$CACHE/flannel-v$FLANNEL_VERSION/bin" crane="$CACHE/crane-v$CRANE_VERSION/bin"
  local cni="$CACHE/cni-flannel-v$FLANNEL_CNI_PLUGINS_VERSION-cni$FLANNEL_CNI_LIBRARY_VERSION/bin"
  local pause="$CACHE/pause-v$PAUSE_VERSION/bin" kube_vip="$CACHE/kube-vip-v$KUBE_VIP_VERSION/bin"
  if [ ! -x "$pause/pause" ] || [ ! -x "$flannel/flanneld" ] || [ ! -x "$flannel/install-conf" ]; then
    ensure_c_toolchain
  fi
  [ -x "$crane/crane" ] ||
    run_step "building crane v$CRANE_VERSION from the Go module proxy" \
      "$LOGS/crane-$CRANE_VERSION.log" "$hint" build_crane "$crane"
  [ -x "$crictl/crictl" ] ||
    run_step "building crictl v$CRI_TOOLS_VERSION from the Go module proxy (about 1 min on a fresh 2-core machine)" \
      "$LOGS/cri-tools-$CRI_TOOLS_VERSION.log" "$hint" build_crictl "$crictl"
  [ -x "$coredns/coredns" ] ||
    run_step "building CoreDNS v$COREDNS_VERSION from the Go module proxy (about 3 min on a fresh 2-core machine)" \
      "$LOGS/coredns-$COREDNS_VERSION.log" "$hint" build_coredns "$coredns" "$COREDNS_VERSION"
  [ -x "$coredns_previous/coredns" ] ||
    run_step "building CoreDNS v$COREDNS_PREVIOUS_VERSION (kubeadm $KUBERNETES_PREVIOUS_VERSION's) from the Go module proxy" \
      "$LOGS/coredns-$COREDNS_PREVIOUS_VERSION.log" "$hint" build_coredns "$coredns_previous" "$COREDNS_PREVIOUS_VERSION"
  { [ -x "$flannel/flanneld" ] && [ -x "$flannel/install-conf" ]; } ||
    run_step "building flanneld v$FLANNEL_VERSION from the Go module proxy (about 2 min on a fresh 2-core machine)" \
      "$LOGS/flannel-$FLANNEL_VERSION.log" "$hint" build_flannel "$flannel"
  [ -x "$cni/flannel" ] ||
    run_step "building the flannel CNI plugin (containernetworking/plugins v$FLANNEL_CNI_PLUGINS_VERSION) from the Go module proxy" \
      "$LOGS/cni-flannel-$FLANNEL_CNI_PLUGINS_VERSION.log" "$hint" build_flannel_cni "$cni"
  [ -x "$pause/pause" ] ||
    run_step "compiling pause $PAUSE_VERSION (k8s.io/kubernetes v$KUBERNETES_VERSION build/pause)" \
      "$LOGS/pause-$PAUSE_VERSION.log" "gcc -static needs libc6-dev; see the log" build_pause "$pause"
  [ -x "$kube_vip/kube-vip" ] ||
    run_step "building kube-vip v$KUBE_VIP_VERSION from the Go module proxy (2-5 min on a fresh machine)" \
      "$LOGS/kube-vip-$KUBE_VIP_VERSION.log" "$hint" build_kube_vip "$kube_vip"
  # One directory with every node tool, for build-images.sh --node-tools; links follow version changes.
  mkdir -p "$NODE_TOOLS_BIN"
  local pair
  for pair in "crictl:$crictl" "coredns:$coredns" "flanneld:$flannel" "install-conf:$flannel" \
    "flannel:$cni" "crane:$crane" "pause:$pause" "kube-vip:$kube_vip"; do
    [ "$(readlink "$NODE_TOOLS_BIN/${pair%%:*}" 2>/dev/null || true)" = "${pair#*:}/${pair%%:*}" ] ||
      ln -sfn "${pair#*:}/${pair%%:*}" "$NODE_TOOLS_BIN/${pair%%:*}"
  done
}
