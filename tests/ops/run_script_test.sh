#!/usr/bin/env bash
# scripts/run on a tree whose daemons are built (the test's own build folder): it builds
# nothing more (a second start takes seconds), says how long the start took, prints the URL,
# serves the page and the health check, and a TERM (what Ctrl-C's trap does) stops both
# daemons. Usage: run_script_test.sh SOURCE_DIR BUILD_DIR
set -euo pipefail
source_dir="$1"
build_dir="$2"

work="$(mktemp -d)"
run_pid=""
cleanup() {
  [[ -n "$run_pid" ]] && kill -TERM "$run_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*" >&2
  echo "--- scripts/run printed:" >&2
  cat "$work/out" >&2
  exit 1
}

free_port() {
  /usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
roomd_addr="127.0.0.1:$(free_port)"
bridge_addr="127.0.0.1:$(free_port)"

BUILD_DIR="$build_dir" STATE_DIR="$work/state" ROOMD_ADDR="$roomd_addr" BRIDGE_ADDR="$bridge_addr" \
  "$source_dir/scripts/run" >"$work/out" 2>&1 &
run_pid=$!

# Event-driven: the script's last line before it waits; 120 s covers a busy ASan machine.
for _ in $(seq 1 1200); do
  grep -q "Started in" "$work/out" && break
  kill -0 "$run_pid" 2>/dev/null || fail "scripts/run exited before it started the chat"
  sleep 0.1
done
grep -q "Started in [0-9]* s" "$work/out" || fail "no 'Started in N s' within 120 s"
grep -qF "Chat is running: http://$bridge_addr/" "$work/out" || fail "no URL for $bridge_addr"
grep -q "ninja: no work to do" "$work/out" || fail "scripts/run built something in a built tree"
grep -q "^build: roomd wsbridge up to date in [0-9]* s" "$work/out" ||
  fail "scripts/run did not build exactly roomd and wsbridge"
[[ -f "$work/state/roomd.db" ]] || fail "no history database in STATE_DIR"

health="$(curl -fsS "http://$bridge_addr/healthz")" || fail "no health check"
[[ "$health" == *'"roomd":"up"'* ]] || fail "roomd is not up behind the bridge: $health"
# Read whole, not piped into `grep -q`: grep's early exit would fail curl's write (pipefail).
page="$(curl -fsS "http://$bridge_addr/")" || fail "the page is not served"
[[ "$page" == *"<title>"* ]] || fail "the page has no <title>"

kill -TERM "$run_pid"
wait "$run_pid" || true
run_pid=""
daemons_alive() {
  pgrep -f -- "--listen $roomd_addr" >/dev/null || pgrep -f -- "--listen $bridge_addr" >/dev/null
}
for _ in $(seq 1 100); do
  daemons_alive || break
  sleep 0.1
done
if daemons_alive; then
  pkill -f -- "--listen $roomd_addr" || true
  pkill -f -- "--listen $bridge_addr" || true
  fail "a daemon outlived scripts/run's TERM"
fi
first_start="$(grep -o 'Started in [0-9]* s' "$work/out")"

# --bridges=2: two wsbridge processes on the one port (--reuse_port), both serving.
BUILD_DIR="$build_dir" STATE_DIR="$work/state" ROOMD_ADDR="$roomd_addr" BRIDGE_ADDR="$bridge_addr" \
  "$source_dir/scripts/run" --store=memory --bridges=2 >"$work/out" 2>&1 &
run_pid=$!
for _ in $(seq 1 1200); do
  grep -q "Started in" "$work/out" && break
  kill -0 "$run_pid" 2>/dev/null || fail "scripts/run --bridges=2 exited before it started"
  sleep 0.1
done
grep -q "2 wsbridge processes share that port" "$work/out" || fail "--bridges=2 did not say so"
bridges="$(pgrep -f -- "--listen $bridge_addr .*--reuse_port" | wc -l)"
[[ "$bridges" == 2 ]] || fail "--bridges=2 runs $bridges bridges with --reuse_port"
for _ in 1 2 3 4 5 6; do  # connections land on either; each must answer
  health="$(curl -fsS "http://$bridge_addr/healthz")" || fail "no health check with 2 bridges"
  [[ "$health" == *'"roomd":"up"'* ]] || fail "roomd is not up behind a bridge: $health"
done
kill -TERM "$run_pid"
wait "$run_pid" || true
run_pid=""
for _ in $(seq 1 100); do
  daemons_alive || break
  sleep 0.1
done
daemons_alive && fail "a daemon outlived scripts/run --bridges=2's TERM"
echo "scripts/run: started, served and stopped ($first_start), and with --bridges=2"
