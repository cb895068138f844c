# Sourced by tools/shim-tests and bench/shim: a private containerd (Debian's
# 1.6 unless CONTAINERD/CTR or $containerd_bin/$ctr_bin say otherwise) with its
# root, state, sockets and config in $tmp, our shim on its PATH as
# io.containerd.skiff.v2 (then the shims beside that containerd: 2.x's own
# containerd-shim-runc-v2), and the busybox image from tools/mkimage imported.
# Stopped by pid in containerd_stop.
#
# Needs: $here (the repo), $tmp (an empty directory), $shim (the shim binary).

containerd_bin="${CONTAINERD:-$(command -v containerd)}"
ctr_bin="${CTR:-$(command -v ctr)}"
ns="${ns:-skiff-$$}"
image="docker.io/skiff/busybox:latest"
containerd_pid=""

ctr() { "$ctr_bin" -a "$tmp/containerd.sock" -n "$ns" "$@"; }

containerd_start() {
  mkdir -p "$tmp/bin"
  ln -sf "$shim" "$tmp/bin/containerd-shim-skiff-v2"
  cat >"$tmp/config.toml" <<TOML
version = 2
root = "$tmp/root"
state = "$tmp/state"
disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.aufs",
  "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs",
  "io.containerd.snapshotter.v1.devmapper", "io.containerd.tracing.processor.v1.otlp"]
[grpc]
  address = "$tmp/containerd.sock"
[debug]
  level = "debug"
TOML
  containerd_daemon || return 1
  "$here/tools/mkimage" "$tmp/busybox.tar" "$image" && ctr images import "$tmp/busybox.tar" >/dev/null
}

# Start (or restart) the daemon on the config containerd_start wrote.
containerd_daemon() {
  PATH="$tmp/bin:$(dirname "$containerd_bin"):$PATH" "$containerd_bin" --config "$tmp/config.toml" >>"$tmp/containerd.log" 2>&1 &
  containerd_pid=$!
  echo "$containerd_pid" >"$tmp/containerd.pid"  # checks run in subshells: the file is what counts
  local _
  for _ in $(seq 100); do
    [[ -S "$tmp/containerd.sock" ]] && ctr version >/dev/null 2>&1 && break
    sleep 0.1
  done
  ctr version >/dev/null 2>&1 || { echo "containerd did not start:"; tail -20 "$tmp/containerd.log"; return 1; }
}

# Stop the daemon alone (SIGTERM, as systemd does): shims and containers stay.
containerd_daemon_stop() {
  local pid _
  pid="$(cat "$tmp/containerd.pid" 2>/dev/null)" || return 0
  rm -f "$tmp/containerd.pid"
  kill "$pid" 2>/dev/null || return 0
  wait "$pid" 2>/dev/null  # our child, unless a subshell started it
  for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
}

# The bundle directory containerd made for a task.
task_bundle() { echo "$tmp/state/io.containerd.runtime.v2.task/$ns/$1"; }

containerd_stop() {
  local pidfile bundle m
  # Runs from EXIT traps, possibly under set -e: no step may fail.
  containerd_daemon_stop || true
  containerd_pid=""
  # Shims we started (each records its pid in its bundle) and their containers:
  # our shim's delete action kills and removes what a failed check left behind.
  for pidfile in "$tmp"/state/io.containerd.runtime.v2.task/"$ns"/*/shim.pid; do
    [[ -f "$pidfile" ]] && kill -9 "$(cat "$pidfile")" 2>/dev/null || true
  done
  for bundle in "$tmp"/state/io.containerd.runtime.v2.task/"$ns"/*/; do
    [[ -d "$bundle" ]] || continue
    (cd "$bundle" && "$shim" -namespace "$ns" -address "$tmp/containerd.sock" -id "$(basename "$bundle")" delete \
      >/dev/null 2>&1) || true
  done
  { grep -o " $tmp/[^ ]*" /proc/self/mounts || true; } | sort -r | while read -r m; do umount -l "$m" || true; done
  rm -rf "/run/containerd/skiff/$ns" "/run/containerd/runc/$ns"
}
