# shellcheck shell=bash
# Sourced by tools/setup: Go builds that say how far they are. A fresh machine's builds run for minutes each, and
# elapsed seconds alone do not tell a slow build from a hung one.
#
#   go_build -o OUT [go build flags...] PACKAGES...
#       `go build -v`, preceded by a line in the step's log that says how many packages it will compile (the ones
#       the build cache lacks, counted by `go list` with the same flags and environment) and how many binaries it
#       will then link into OUT (a file, or a directory ending in /).
#   go_progress LOG
#       Prints how far the step logging to LOG is (nothing when its log tells nothing): Go modules downloaded
#       before the first compile, then which of the packages to compile it is at, then binaries written.

# The marker go_build writes; go_progress reads it. Go's own output never starts with "setup:".
GO_PROGRESS_MARK="setup: go build"

go_build() {
  local out="" args=()
  while [ $# -gt 0 ]; do
    case "$1" in
      -o)
        out="$2"
        shift 2
        ;;
      *)
        args+=("$1")
        shift
        ;;
    esac
  done
  [ -n "$out" ] || {
    echo "go_build: -o is required" >&2
    return 2
  }
  # -v prints exactly the packages whose compile is not in the build cache (std ones included), which is what
  # Stale says, except for a main package whose compile is cached but whose binary is not installed.
  local counts
  if counts="$(go list -deps -f '{{if and .Stale (ne .StaleReason "not installed but available in build cache")}}compile{{end}} {{if and (not .DepOnly) (eq .Name "main")}}main{{end}}' "${args[@]}" |
    awk '/compile/ { c++ } / main/ { m++ } END { printf "%d %d", c, m }')"; then
    echo "$GO_PROGRESS_MARK -o $out: ${counts% *} packages to compile, ${counts#* } to link"
  fi # else go build says what is wrong, and the progress line shows elapsed time only
  go build -v -o "$out" "${args[@]}"
}

go_progress() {
  local log="$1" mark
  mark="$(grep "^$GO_PROGRESS_MARK -o " "$log" 2>/dev/null | tail -n 1 || true)"
  if [ -z "$mark" ]; then
    local fetched
    fetched="$(grep -c '^go: downloading ' "$log" 2>/dev/null || true)"
    [ "${fetched:-0}" = 0 ] || echo "$fetched Go modules downloaded"
    return 0
  fi
  # "setup: go build -o OUT: N packages to compile, M to link"
  local out total binaries
  out="${mark#"$GO_PROGRESS_MARK -o "}"
  out="${out%: * packages to compile, * to link}"
  total="${mark##*: }"
  total="${total%% *}"
  binaries="${mark##*, }"
  binaries="${binaries%% *}"
  # -v prints a package as its compile starts, as a bare import path; errors, warnings and "go: downloading"
  # lines all have a space.
  local started msg
  started="$(awk -v mark="$mark" '$0 == mark { n = 0; next } /^[^[:space:]]+$/ { n++ } END { print n + 0 }' "$log")"
  if ((started < total)); then
    msg="compiling package $started of $total"
  else
    # Linking a large binary (pulumi-resource-kubernetes: 40 s on a busy 2-core machine) prints nothing until it
    # ends; the time since Go's last line (the last compile starting, or the count when the build cache had every
    # package) is how long it has been at it.
    msg="linking for $(($(date +%s) - $(stat -c %Y "$log")))s"
    ((total == 0)) || msg="package $total of $total, $msg"
  fi
  case "$out" in
    */)
      # A directory build links each binary as soon as its packages are compiled: they are counted as they appear.
      ((binaries < 2)) || msg="$msg, $(find "$out" -maxdepth 1 -type f 2>/dev/null | wc -l) of $binaries binaries written"
      ;;
    *) msg="${out##*/}: $msg" ;;
  esac
  echo "$msg"
}
