#!/usr/bin/env bash
# usage: run.sh BIN_DIR DBNAME PORT [RATE_LIMITING true/false]
# Starts a Release build of DeviceFeatures.Host (BIN_DIR) in Production on a fresh PostgreSQL database DBNAME
# (PGPORT, default 55440, on 127.0.0.1) and waits until it is ready. Loopback only.
set -e
bin=$1; db=$2; port=$3; rate=${4:-true}
psql -h 127.0.0.1 -p ${PGPORT:-55440} -U postgres -qc "DROP DATABASE IF EXISTS $db" >/dev/null
psql -h 127.0.0.1 -p ${PGPORT:-55440} -U postgres -qc "CREATE DATABASE $db" >/dev/null
ASPNETCORE_ENVIRONMENT=Production DOTNET_ENVIRONMENT=Production \
Urls=http://127.0.0.1:$port Storage__Provider=postgres \
Storage__ConnectionString="Host=127.0.0.1;Port=${PGPORT:-55440};Username=postgres;Database=$db" \
Admin__ApiKey=measure-admin-key-0123456789abcdefghijklmnop \
Secrets__Key=$(head -c32 /dev/urandom | base64) Demo__Enabled=false RateLimit__Enabled=$rate \
nohup dotnet $bin/DeviceFeatures.Host.dll > ${LOGDIR:-/tmp}/server-$port.log 2>&1 &
echo $! > ${LOGDIR:-/tmp}/server-$port.pid
for i in $(seq 1 100); do curl -sf http://127.0.0.1:$port/health/ready >/dev/null && break; sleep 0.2; done
curl -s http://127.0.0.1:$port/health/ready; echo
