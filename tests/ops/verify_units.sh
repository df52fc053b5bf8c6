#!/usr/bin/env bash
# systemd-analyze verify on deploy/systemd's units, with ExecStart pointed at the built
# binaries (verify insists the command exists). Any warning fails the test as well.
# Usage: verify_units.sh SOURCE_DIR ROOMD_BINARY WSBRIDGE_BINARY
set -euo pipefail
src=$1 roomd=$2 wsbridge=$3
if ! command -v systemd-analyze >/dev/null; then
  echo "SKIP: systemd-analyze is not installed (Debian package systemd)"
  exit 77
fi
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
sed "s|/usr/bin/roomd|$roomd|" "$src/deploy/systemd/roomd.service" >"$scratch/roomd.service"
sed "s|/usr/bin/wsbridge|$wsbridge|" "$src/deploy/systemd/wsbridge.service" >"$scratch/wsbridge.service"
# The hardening the operations docs promise is there.
for unit in roomd wsbridge; do
  for line in DynamicUser=yes NoNewPrivileges=yes ProtectSystem=strict Restart=on-failure \
      LimitNOFILE= "ExecStart=.* --flagfile=/etc/chat/$unit.flags" ExecReload=; do
    grep -q "^$line" "$scratch/$unit.service" || { echo "FAIL: $unit.service lacks $line"; exit 1; }
  done
done
grep -q '^StateDirectory=' "$scratch/roomd.service" || { echo "FAIL: roomd.service lacks StateDirectory"; exit 1; }
# The example flags keep history in that StateDirectory (elsewhere, ProtectSystem=strict
# would make the store fail to open).
state_dir=/var/lib/$(sed -n 's/^StateDirectory=//p' "$scratch/roomd.service")
grep -q "^--store=sqlite:$state_dir/" "$src/deploy/flags/roomd.flags" ||
  { echo "FAIL: deploy/flags/roomd.flags keeps no history in $state_dir"; exit 1; }
status=0
out=$(systemd-analyze verify --man=no "$scratch/roomd.service" "$scratch/wsbridge.service" 2>&1) ||
  status=$?
if [ $status -ne 0 ] || [ -n "$out" ]; then
  echo "FAIL: systemd-analyze verify (exit $status):"
  echo "$out"
  exit 1
fi
# The example flag files parse: each daemon accepts its own (--helpshort exits without serving).
for unit in roomd wsbridge; do
  bin=$roomd; [ $unit = wsbridge ] && bin=$wsbridge
  if ! "$bin" --flagfile="$src/deploy/flags/$unit.flags" --helpshort >/dev/null 2>"$scratch/err"; then
    if grep -q "ERROR" "$scratch/err"; then
      echo "FAIL: $unit rejects deploy/flags/$unit.flags:"; cat "$scratch/err"; exit 1
    fi
  fi
done
echo "OK: both units verify"
