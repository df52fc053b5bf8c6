#!/usr/bin/env bash
# Instructions per delivery of one server, measured with callgrind: instruction counts do not
# depend on what else the machine is doing, so this compares two builds fairly even on a busy
# machine (wall-clock figures from scripts/bench do not).
#
#   bench/callgrind_per_delivery.sh roomd|wsbridge [chat_bench flags...]
#   e.g. bench/callgrind_per_delivery.sh wsbridge --clients=100 --senders=5
#
# Starts roomd and wsbridge (the named one under callgrind, instrumented only during
# chat_bench's measured interval), runs chat_bench through the bridge, and prints the
# server's instructions, the deliveries and their ratio, then the costliest functions
# (inclusive). Under callgrind the server runs ~50x slower, so it batches differently than at
# full speed: compare builds with the same flags, not with scripts/bench's figures.
# Needs valgrind (Debian package). Uses build-bench (or $BUILD_DIR), built by scripts/bench.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"

which="${1:-}"
if [[ "$which" != roomd && "$which" != wsbridge ]]; then
  sed -n '2,15p' "$0"
  exit 2
fi
shift
command -v valgrind >/dev/null || { echo "needs valgrind (apt-get install valgrind)" >&2; exit 1; }

build_dir="${BUILD_DIR:-build-bench}"
cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build_dir" --target roomd wsbridge chat_bench -- -j2 >/dev/null
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

work="$(mktemp -d "${TMPDIR:-/tmp}/chat-callgrind.XXXXXX")"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT

vg=(valgrind --tool=callgrind --instr-atstart=no --dump-instr=no
    --callgrind-out-file="$work/callgrind.out")
roomd_pre=()
bridge_pre=()
if [[ "$which" == roomd ]]; then roomd_pre=("${vg[@]}"); else bridge_pre=("${vg[@]}"); fi

wait_line() {  # wait_line FILE PATTERN TRIES(0.1 s each)
  for _ in $(seq 1 "$3"); do
    grep -q "$2" "$1" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "timed out waiting for '$2' in $1" >&2
  tail -n 20 "$1" >&2
  return 1
}

"${roomd_pre[@]}" "$build_dir/roomd/roomd" --listen=127.0.0.1:0 --rate=1000000 \
  --rate_burst=1000000 2>"$work/roomd.log" &
roomd_pid=$!
pids+=("$roomd_pid")
wait_line "$work/roomd.log" "listening on" 600
roomd_port="$(sed -n 's/.*listening on 127.0.0.1:\([0-9]*\).*/\1/p' "$work/roomd.log" | head -n1)"
"${bridge_pre[@]}" "$build_dir/wsbridge/wsbridge" --listen=127.0.0.1:0 \
  --roomd="127.0.0.1:$roomd_port" --web_root="$root/web" 2>"$work/bridge.log" &
bridge_pid=$!
pids+=("$bridge_pid")
wait_line "$work/bridge.log" "listening on" 600
bridge_port="$(sed -n 's/.*listening on http:\/\/127.0.0.1:\([0-9]*\).*/\1/p' "$work/bridge.log" | head -n1)"
target_pid=$roomd_pid
[[ "$which" == wsbridge ]] && target_pid=$bridge_pid

"$build_dir/bench/chat_bench" --mode=ws --target="127.0.0.1:$bridge_port" --connect_rate=200 \
  --server_pids="$roomd_pid,$bridge_pid" "$@" >"$work/bench.out" 2>"$work/bench.err" &
bench_pid=$!
wait_line "$work/bench.err" "chat_bench: measuring" 3000
callgrind_control -i on "$target_pid" >/dev/null 2>&1
wait_line "$work/bench.err" "chat_bench: measured" 36000
callgrind_control -i off "$target_pid" >/dev/null 2>&1
wait "$bench_pid" || true
kill -TERM "$bridge_pid" 2>/dev/null || true
sleep 1
kill -TERM "$roomd_pid" 2>/dev/null || true
for _ in $(seq 1 300); do
  kill -0 "$target_pid" 2>/dev/null || break
  sleep 0.1
done
wait 2>/dev/null || true
pids=()

sed '$d' "$work/bench.out"
deliveries="$(tail -n1 "$work/bench.out" | sed -n 's/.*"deliveries":\([0-9]*\).*/\1/p')"
total="$(callgrind_annotate "$work/callgrind.out" 2>/dev/null |
  sed -n 's/^ *\([0-9,]*\) .*PROGRAM TOTALS.*/\1/p' | tr -d ,)"
echo
echo "$which: $total instructions during the measured interval, $deliveries deliveries"
if [[ -n "$deliveries" && "$deliveries" -gt 0 && -n "$total" ]]; then
  echo "$which: $((total / deliveries)) instructions per delivery"
fi
echo
echo "Costliest functions (inclusive, % of the server's instructions):"
callgrind_annotate --inclusive=yes "$work/callgrind.out" 2>/dev/null |
  grep -E '^ *[0-9,]+ \( *[0-9.]+%\)' | grep -v 'PROGRAM TOTALS' |
  grep -vE 'start_thread|\?\?\?:0x|_dl_|clone' | head -n 30 | cut -c1-160
echo
echo "Full profile: $work/callgrind.out (callgrind_annotate / kcachegrind)"
trap - EXIT
