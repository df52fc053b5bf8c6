#!/usr/bin/env bash
# The Debian packages: CPack builds them from this build tree, dpkg-deb shows what they
# hold, dpkg -x installs them into a scratch root, and the installed binaries start on
# loopback with the example flags (addresses and paths moved into the scratch root), carry
# a chat message, and keep it in the example flags' history store across a restart.
# Usage: package_test.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build=$(cd "$1" && pwd)
src=$(cd "$2" && pwd)
scratch=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$scratch"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }

# Waits (bounded) for a line matching $2 in file $1 and prints it.
wait_line() {
  for _ in $(seq 1 300); do
    if line=$(grep -m1 -E "$2" "$1"); then echo "$line"; return 0; fi
    sleep 0.1  # the poll's pace
  done
  echo "no \"$2\" in $1:" >&2; cat "$1" >&2; return 1
}

(cd "$build" && cpack --config CPackConfig.cmake -B "$scratch/out" >"$scratch/cpack.log" 2>&1) ||
  { cat "$scratch/cpack.log"; fail "cpack"; }
roomd_deb=$(ls "$scratch"/out/roomd_*.deb) || fail "no roomd .deb"
bridge_deb=$(ls "$scratch"/out/wsbridge_*.deb) || fail "no wsbridge .deb"

check_contents() {
  local deb=$1; shift
  local listing; listing=$(dpkg-deb -c "$deb")
  for path in "$@"; do
    grep -qE " \./${path#/}\$" <<<"$listing" || { echo "$listing"; fail "$(basename "$deb") lacks $path"; }
  done
}
check_contents "$roomd_deb" /usr/bin/roomd /lib/systemd/system/roomd.service /etc/chat/roomd.flags \
  /usr/share/doc/roomd/operations.md
check_contents "$bridge_deb" /usr/bin/wsbridge /lib/systemd/system/wsbridge.service \
  /etc/chat/wsbridge.flags /usr/share/chat/web/index.html /usr/share/chat/web/app.js
for deb in "$roomd_deb" "$bridge_deb"; do
  dpkg-deb -I "$deb" >"$scratch/info"
  grep -q '^ Depends: .*libgrpc' "$scratch/info" || { cat "$scratch/info"; fail "$(basename "$deb"): no library Depends"; }
  dpkg-deb -f "$deb" Package Version Architecture
  [ "$(dpkg-deb --ctrl-tarfile "$deb" | tar -xO ./conffiles)" = "/etc/chat/$(dpkg-deb -f "$deb" Package).flags" ] ||
    fail "$(basename "$deb"): its flag file is not a conffile"
done

root=$scratch/root
dpkg -x "$roomd_deb" "$root"
dpkg -x "$bridge_deb" "$root"

# The example flags keep history in roomd's StateDirectory, the one place the unit lets it
# write.
state_dir=/var/lib/$(sed -n 's/^StateDirectory=//p' "$root/lib/systemd/system/roomd.service")
grep -q "^--store=sqlite:$state_dir/" "$root/etc/chat/roomd.flags" ||
  { cat "$root/etc/chat/roomd.flags"; fail "roomd.flags keeps no history in $state_dir"; }

# The example flags, moved to loopback port 0 and the scratch root.
mkdir "$scratch/state"
sed -e 's|^--listen=.*|--listen=127.0.0.1:0|' -e 's|^--metrics_listen=.*|--metrics_listen=127.0.0.1:0|' \
  -e "s|^--store=sqlite:$state_dir/|--store=sqlite:$scratch/state/|" \
  "$root/etc/chat/roomd.flags" >"$scratch/roomd.flags"
# Starts the installed roomd, logging to $1; sets roomd_pid and roomd_port.
start_roomd() {
  "$root/usr/bin/roomd" --flagfile="$scratch/roomd.flags" 2>"$1" &
  roomd_pid=$!
  pids+=($roomd_pid)
  roomd_port=$(wait_line "$1" 'listening on 127\.0\.0\.1:[0-9]+' | grep -oE '[0-9]+"?\}?$' | tr -dc 0-9)
}
start_roomd "$scratch/roomd.log"
roomd_metrics=$(wait_line "$scratch/roomd.log" 'metrics on 127\.0\.0\.1:[0-9]+' | grep -oE '127\.0\.0\.1:[0-9]+' | cut -d: -f2)
sed -e 's|^--listen=.*|--listen=127.0.0.1:0|' -e 's|^--metrics_listen=.*|--metrics_listen=127.0.0.1:0|' \
  -e "s|^--roomd=.*|--roomd=127.0.0.1:$roomd_port|" -e "s|^--web_root=.*|--web_root=$root/usr/share/chat/web|" \
  "$root/etc/chat/wsbridge.flags" >"$scratch/wsbridge.flags"
"$root/usr/bin/wsbridge" --flagfile="$scratch/wsbridge.flags" 2>"$scratch/wsbridge.log" &
pids+=($!)
bridge_port=$(wait_line "$scratch/wsbridge.log" 'listening on http://127\.0\.0\.1:[0-9]+' | grep -oE 'http://127\.0\.0\.1:[0-9]+' | cut -d: -f3)

# To files, not pipes: grep -q would stop reading early and fail curl (and pipefail) with it.
curl -fsS --max-time 10 "http://127.0.0.1:$bridge_port/" >"$scratch/page" || fail "GET /"
grep -q '<html' "$scratch/page" || fail "the installed page"
for _ in $(seq 1 100); do  # roomd may take a moment to answer the bridge's first health check
  curl -fsS --max-time 10 "http://127.0.0.1:$bridge_port/healthz" >"$scratch/health" 2>/dev/null && break
  sleep 0.1
done
grep -q '"roomd":"up"' "$scratch/health" || { cat "$scratch/health"; fail "healthz"; }
curl -fsS --max-time 10 "http://127.0.0.1:$roomd_metrics/metrics" >"$scratch/metrics" ||
  fail "GET /metrics"
grep -q '^chat_connections_total' "$scratch/metrics" || fail "roomd's metrics"

# One real message: a unary Post reaches a reader's Chat stream; roomd restarts (SIGTERM,
# as systemctl restart does) and still holds it.
chat() {
  PYTHONPATH="$src/tests/support" /usr/bin/python3 "$src/tests/ops/package_chat.py" \
    --target "127.0.0.1:$roomd_port" --proto_dir "$src/proto" "$1" || fail "package_chat.py $1"
}
chat post
kill -TERM "$roomd_pid"
wait "$roomd_pid" || fail "roomd did not exit 0 on SIGTERM"
ls "$scratch/state"/*.db >/dev/null || fail "no history database in the store's folder"
start_roomd "$scratch/roomd-restarted.log"
chat history
echo "OK: packages $(basename "$roomd_deb") $(basename "$bridge_deb") install and run"
