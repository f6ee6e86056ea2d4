# Package repositories for kubelet/kubeadm/kubectl and containerd, from the configured mirrors.
# Env: APT_KUBERNETES_REPOSITORY APT_KUBERNETES_KEY_URL APT_CONTAINERD_REPOSITORY
#      YUM_KUBERNETES_REPOSITORY YUM_KUBERNETES_KEY_URL YUM_CONTAINERD_REPOSITORY
family=$(package_family)

# The tools this step needs to fetch and unpack the repositories' keys. A minimal install has none of them: they
# come from the distribution's own repositories, and the undo removes exactly those (prerequisites-added).
prerequisites_missing() {
  command -v curl >/dev/null 2>&1 || echo curl
  command -v gpg >/dev/null 2>&1 || echo gpg
  dpkg-query -W -f='${Status}' ca-certificates 2>/dev/null | grep -q 'ok installed' || echo ca-certificates
}

# The host's own apt source for URL (a .list line or a deb822 stanza, whatever its Signed-By), not one this step
# wrote: a second source for the same URL with another Signed-By makes apt refuse every command ("Conflicting
# values set for option Signed-By"), so the host's is used as it is.
own_apt_source() {
  local file record
  for file in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
    [ -f "$file" ] || continue
    record=$(original_record "$file")
    if [ -e "$record" ] || [ -e "$record.absent" ]; then continue; fi
    case "$file" in
    *.sources) names_url_deb822 "$1" <"$file" ;;
    *) names_url_one_line "$1" <"$file" ;;
    esac && printf '%s\n' "$file" && return 0
  done
  return 1
}
names_url_one_line() {
  sed -e 's/#.*//' -e 's/\[[^]]*\]//' | awk -v want="${1%/}" '
    $1 == "deb" { url = $2; sub(/\/+$/, "", url); if (url == want) found = 1 }
    END { exit !found }'
}
names_url_deb822() {
  awk -v want="${1%/}" '
    function stanza_end() {
      if (types ~ /(^|[ \t])deb([ \t]|$)/ && tolower(enabled) != "no") {
        n = split(uris, list, /[ \t]+/)
        for (i = 1; i <= n; i++) { url = list[i]; sub(/\/+$/, "", url); if (url == want) found = 1 }
      }
      types = ""; uris = ""; enabled = ""; field = ""
    }
    /^#/ { next }
    /^[ \t]*$/ { stanza_end(); next }
    /^[ \t]/ { if (field == "uris") uris = uris " " $0; next }
    {
      name = tolower($0); sub(/:.*/, "", name); value = $0; sub(/^[^:]*:[ \t]*/, "", value); field = name
      if (name == "types") types = value; else if (name == "uris") uris = value; else if (name == "enabled") enabled = value
    }
    END { stanza_end(); exit !found }'
}

installed_packages() {
  dpkg-query -W -f='${Package} ${Status}\n' 2>/dev/null | awk '$NF == "installed" { print $1 }' | sort -u
}
# Packages this run installed go again when the step fails after all: the host is left as it was found.
remove_prerequisites_on_failure() {
  if [ "$1" -ne 0 ] && [ -n "${prerequisites_this_run:-}" ]; then
    # shellcheck disable=SC2086 # one word per package
    DEBIAN_FRONTEND=noninteractive apt-get purge -y -q $(cat "$state_dir/prerequisites-added") >&2 || true
    rm -f "$state_dir/prerequisites-added"
  fi
}

case "$family" in
apt)
  missing=$(prerequisites_missing | paste -sd ' ' -)
  if [ -n "$missing" ] && [ ! -f "$state_dir/prerequisites-added" ]; then
    make_state_dir
    trap 'status=$?; remove_prerequisites_on_failure "$status"; finish_step "$status"' EXIT
    installed_packages >"$step_work/packages-before"
    export DEBIAN_FRONTEND=noninteractive
    echo "installing what this step needs and the host lacks: $missing (from the distribution's repositories)"
    apt-get update -q
    prerequisites_this_run=1
    # shellcheck disable=SC2086 # one word per package
    apt-get install -y -q --no-install-recommends $missing
    # Their dependencies too (libcurl, gpgconf, ...): the undo removes exactly what this step added.
    installed_packages | comm -13 "$step_work/packages-before" - >"$state_dir/prerequisites-added"
  fi
  mkdir -p /etc/apt/keyrings
  chmod 0755 /etc/apt/keyrings
  fetch "$APT_KUBERNETES_KEY_URL" "$step_work/kubernetes.key" packages.apt.kubernetesKeyUrl
  gpg --dearmor --yes -o "$step_work/kubernetes.gpg" <"$step_work/kubernetes.key"
  put_file /etc/apt/keyrings/kubernetes-apt-keyring.gpg 0644 <"$step_work/kubernetes.gpg"
  printf 'deb [signed-by=/etc/apt/keyrings/kubernetes-apt-keyring.gpg] %s /\n' "$APT_KUBERNETES_REPOSITORY" |
    put_file /etc/apt/sources.list.d/kubernetes.list 0644
  if [ -n "$APT_CONTAINERD_REPOSITORY" ] && host_source=$(own_apt_source "$APT_CONTAINERD_REPOSITORY"); then
    # Docker's own source (docker.list, its docker.asc), say: containerd.io comes from it; one this step wrote for
    # the URL before the host's appeared goes.
    echo "using the host's own source for $APT_CONTAINERD_REPOSITORY in $host_source"
    restore_original /etc/apt/sources.list.d/containerd.list
    restore_original /etc/apt/keyrings/containerd-apt-keyring.gpg
  elif [ -n "$APT_CONTAINERD_REPOSITORY" ]; then
    fetch "${APT_CONTAINERD_REPOSITORY}gpg" "$step_work/containerd.key" packages.apt.containerdRepository
    gpg --dearmor --yes -o "$step_work/containerd.gpg" <"$step_work/containerd.key"
    put_file /etc/apt/keyrings/containerd-apt-keyring.gpg 0644 <"$step_work/containerd.gpg"
    codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-stable}")
    printf 'deb [signed-by=/etc/apt/keyrings/containerd-apt-keyring.gpg] %s %s stable\n' \
      "$APT_CONTAINERD_REPOSITORY" "$codename" | put_file /etc/apt/sources.list.d/containerd.list 0644
  fi
  if ! apt-get update -q; then
    echo "apt-get update failed with the repositories from packages.apt.kubernetesRepository" \
      "($APT_KUBERNETES_REPOSITORY)${APT_CONTAINERD_REPOSITORY:+ and packages.apt.containerdRepository}: see the lines above" >&2
    exit 1
  fi
  ;;
dnf | yum)
  # exclude= keeps a routine `dnf upgrade` from moving the cluster's versions: installs name
  # --disableexcludes=kubernetes explicitly (pkgs.k8s.io's own recommendation).
  put_file /etc/yum.repos.d/kubernetes.repo 0644 <<REPO
[kubernetes]
name=Kubernetes
baseurl=$YUM_KUBERNETES_REPOSITORY
enabled=1
gpgcheck=1
gpgkey=$YUM_KUBERNETES_KEY_URL
exclude=kubelet kubeadm kubectl cri-tools kubernetes-cni
REPO
  put_file /etc/yum.repos.d/containerd.repo 0644 <<REPO
[containerd]
name=containerd.io from a docker-ce mirror
baseurl=${YUM_CONTAINERD_REPOSITORY}\$releasever/\$basearch/stable
enabled=1
gpgcheck=1
gpgkey=${YUM_CONTAINERD_REPOSITORY}gpg
REPO
  if ! "$family" makecache -q; then
    echo "$family makecache failed with the repositories from packages.yum.kubernetesRepository" \
      "($YUM_KUBERNETES_REPOSITORY) and packages.yum.containerdRepository ($YUM_CONTAINERD_REPOSITORY): see the lines above" >&2
    exit 1
  fi
  ;;
esac
echo "package repositories configured ($family)"
