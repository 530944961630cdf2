# Shared helpers for ops/infra/{kafka,registry}.sh. Sourced, never run.
# Everything lives under JO_INFRA_DIR (default: <repo>/.infra), which is git-ignored.
set -euo pipefail
INFRA_SRC="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$INFRA_SRC/../.." && pwd)"
JO_INFRA_DIR="${JO_INFRA_DIR:-$REPO_ROOT/.infra}"
mkdir -p "$JO_INFRA_DIR"

log() { printf '[infra] %s\n' "$*" >&2; }

# port_open HOST PORT -> 0 when something accepts TCP connections there.
port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

# pid_alive PIDFILE -> 0 when the file names a live process.
pid_alive() { [[ -f "$1" ]] && kill -0 "$(cat "$1")" 2>/dev/null; }

# stop_pid NAME PIDFILE [SECONDS]: TERM, wait up to SECONDS (20), then KILL -- only the process named in PIDFILE.
stop_pid() {
  local name=$1 pidfile=$2 secs=${3:-20} pid
  if ! pid_alive "$pidfile"; then log "$name is not running"; rm -f "$pidfile"; return 0; fi
  pid=$(cat "$pidfile")
  log "stopping $name (pid $pid)"
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 $((secs * 5))); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
  if kill -0 "$pid" 2>/dev/null; then log "$name did not stop in $secs s; killing pid $pid"; kill -KILL "$pid" 2>/dev/null || true; fi
  rm -f "$pidfile"
}

# wait_until NAME SECONDS LOGFILE PIDFILE CMD...: poll CMD until it succeeds, the process dies, or time runs out.
wait_until() {
  local name=$1 secs=$2 logfile=$3 pidfile=$4; shift 4
  local deadline=$((SECONDS + secs))
  while ((SECONDS < deadline)); do
    if "$@"; then log "$name is ready"; return 0; fi
    if ! pid_alive "$pidfile"; then log "$name exited during start-up; last log lines:"; tail -n 40 "$logfile" >&2; return 1; fi
    sleep 0.5
  done
  log "$name not ready after ${secs}s; last log lines:"; tail -n 40 "$logfile" >&2
  return 1
}

# exec_java ARGS...: run java; with JAVA_EXEC=1 replace the current (sub)shell so $! is the JVM's pid. With
# JAVA_SETSID=1 too, the JVM gets a session of its own (setsid execs in place in a background subshell), so a
# Ctrl-C in the terminal that started it does not reach a background service: whoever started it stops it.
exec_java() {
  if [[ "${JAVA_EXEC:-}" != 1 ]]; then "$@"; return; fi
  if [[ "${JAVA_SETSID:-}" == 1 ]] && command -v setsid >/dev/null 2>&1; then exec setsid "$@"; fi
  exec "$@"
}
