#!/usr/bin/env bash
# usage: row11.sh PORT DBNAME
# A known partner's latency, quiet and under 200 concurrent getnonce with unknown client ids (wrk, 16 s).
cd "$(dirname "$0")"; out=${LOGDIR:-/tmp}
port=$1; db=$2; key=measure-admin-key-0123456789abcdefghijklmnop
p=$(python3 measure.py http://127.0.0.1:$port $key row11-setup)
echo "quiet:  $(python3 measure.py http://127.0.0.1:$port $key row11-probe 8 "$p")"
wrk -t2 -c200 -d16s -s unknown.lua http://127.0.0.1:$port > $out/wrk-$port.txt 2>&1 &
sleep 3
( for i in 1 2 3 4 5; do psql -h 127.0.0.1 -p ${PGPORT:-55440} -U postgres -tAc "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = '$db'"; sleep 2; done ) > $out/pool-$port.txt &
echo "flood:  $(python3 measure.py http://127.0.0.1:$port $key row11-probe 10 "$p")"
wait
echo "server connections during the flood: $(tr '\n' ' ' < $out/pool-$port.txt)"
grep -E "Requests/sec|Latency|requests in" $out/wrk-$port.txt
