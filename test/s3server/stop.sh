#!/usr/bin/env bash
# test/s3server/stop.sh DIR — stop the S3 test server started by start.sh DIR.
#
# Signals radosgw, the OSD and the monitor by their pid files under DIR (TERM,
# then KILL after ${LAKEFS_S3_STOP_GRACE:-2} s) and waits for them to exit. Removes nothing: the logs
# under DIR/log stay for debugging (memstore data is gone anyway).
set -u
DIR=${1:?usage: stop.sh DIR}
[ -d "$DIR/run" ] || exit 0
pids=()
for f in "$DIR"/run/client.*.pid "$DIR"/run/osd.*.pid "$DIR"/run/mon.*.pid; do
    [ -s "$f" ] || continue
    pid=$(cat "$f")
    # Only signal the process if it is still the ceph daemon we started.
    if kill -0 "$pid" 2>/dev/null && grep -q -- "$DIR/ceph.conf" "/proc/$pid/cmdline" 2>/dev/null; then
        kill -TERM "$pid" 2>/dev/null && pids+=("$pid")
    fi
done
for i in $(seq $(( ${LAKEFS_S3_STOP_GRACE:-2} * 10 ))); do
    alive=0
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [ "$alive" -eq 0 ] && exit 0
    sleep 0.1
done
for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null; done
exit 0
