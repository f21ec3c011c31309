#!/usr/bin/env bash
# zk-restore-time.sh DATADIR [DATALOGDIR] — real ZooKeeper 3.8's start-up on
# a copy of a dataDir, timed, next to zkbench restore on the same files.
#
# DATADIR is one server's dataDir (the folder holding version-2, e.g. a
# kept run's DIR/server1) or a bare version-2 folder; DATALOGDIR its
# dataLogDir when the logs live apart. Each round, interleaved:
#   1. copies the version-2 folders into a new temporary folder: a
#      standalone ZooKeeper writes a snapshot before it serves, and this
#      script writes nothing into DATADIR or DATALOGDIR;
#   2. starts ZooKeeper 3.8 standalone on the copy (QuorumPeerMain, the
#      Debian package's jars, as zk-ensemble.sh) and waits until the four
#      letter word srvr answers with its zxid;
#   3. runs zkbench restore --json on the original folders.
# A line per round: ZooKeeper's own "Snapshot loaded in N ms"
# (ZKDatabase.loadDataBase: snapshot pick and load, log replay), the time
# from the JVM's launch until it serves (JVM start, that restore, the
# snapshot it writes before serving), zkbench restore's total and its
# snapshot load; whether both ended at the same zxid and tree digest. Then
# the medians, and the median of the rounds' ratios of the two restores.
#
# Environment: ROUNDS (3), ZKBENCH (a zkbench binary; default: built from
# this checkout), JAR_DIR (/usr/share/java), ZK_HEAP (the JVM's -Xmx, 4g;
# a million 1 KiB znodes take some 2 GB), START_TIMEOUT (seconds, 600).
# Exit status: 0; 1 when ZooKeeper did not start or the two restores
# disagree on the zxid or digest; 2 on bad usage.
set -euo pipefail

usage() { echo "usage: $0 DATADIR [DATALOGDIR]" >&2; exit 2; }
[ $# -ge 1 ] && [ $# -le 2 ] || usage
data=$1
logdir=${2:-}
rounds=${ROUNDS:-3}
jar_dir=${JAR_DIR:-/usr/share/java}
heap=${ZK_HEAP:-4g}
start_timeout=${START_TIMEOUT:-600}
for v in rounds start_timeout; do
  [[ ${!v} =~ ^[1-9][0-9]*$ ]] || { echo "$0: ${v^^} must be a positive integer, got ${!v}" >&2; exit 2; }
done

# version2 DIR prints DIR's version-2 folder: DIR/version-2, or DIR itself
# when it holds the files.
version2() {
  if [ -d "$1/version-2" ]; then
    echo "$1/version-2"
  elif compgen -G "$1/snapshot.*" >/dev/null || compgen -G "$1/log.*" >/dev/null; then
    echo "$1"
  else
    echo "$0: $1: no version-2 folder and no snapshot or log files in it" >&2
    exit 2
  fi
}
snapsrc=$(version2 "$data")
logsrc=""
[ -n "$logdir" ] && logsrc=$(version2 "$logdir")

jars=(zookeeper zookeeper-jute slf4j-api slf4j-log4j12 log4j-1.2 commons-cli commons-io
  netty-buffer netty-common netty-handler netty-transport netty-transport-native-epoll
  netty-transport-native-unix-common netty-resolver netty-codec metrics-core snappy-java
  jackson-core jackson-databind jackson-annotations)
command -v java >/dev/null || { echo "$0: no java on PATH (apt-get install -y zookeeper)" >&2; exit 2; }
cp=""
for j in "${jars[@]}"; do
  [ -f "$jar_dir/$j.jar" ] || { echo "$0: $jar_dir/$j.jar missing (apt-get install -y zookeeper)" >&2; exit 2; }
  cp+="${cp:+:}$jar_dir/$j.jar"
done

work=$(mktemp -d -t zk-restore-time.XXXXXX)
server_pid=""
cleanup() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

zkbench=${ZKBENCH:-}
if [ -z "$zkbench" ]; then
  zkbench=$work/zkbench
  (cd "$(dirname "$0")/.." && go build -o "$zkbench" ./cmd/zkbench)
fi

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# srvr PORT prints the server's srvr reply, or nothing while it is down.
srvr() {
  timeout 3 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1" && printf srvr >&3 && cat <&3' _ "$1" 2>/dev/null || true
}

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

cat >"$work/log4j.properties" <<'PROPS'
log4j.rootLogger=INFO, F
log4j.appender.F=org.apache.log4j.FileAppender
log4j.appender.F.File=${zkbench.log}
log4j.appender.F.layout=org.apache.log4j.PatternLayout
log4j.appender.F.layout.ConversionPattern=%d{ISO8601} %-5p [%t:%C{1}] - %m%n
PROPS

# zookeeper_round prints "loaded_ms serving_ms zxid digest".
zookeeper_round() {
  local run=$work/zk port start end reply line
  rm -rf "$run"
  mkdir -p "$run/data"
  cp -r "$snapsrc" "$run/data/version-2"
  {
    echo "tickTime=2000"
    echo "dataDir=$run/data"
    if [ -n "$logsrc" ]; then
      mkdir -p "$run/log"
      cp -r "$logsrc" "$run/log/version-2"
      echo "dataLogDir=$run/log"
    fi
    port=$(free_port)
    echo "clientPort=$port"
    echo "clientPortAddress=127.0.0.1"
    echo "admin.enableServer=false"
    echo "4lw.commands.whitelist=srvr"
  } >"$run/zoo.cfg"
  start=$(now_ms)
  java -Xmx"$heap" -cp "$cp" -Dlog4j.configuration="file:$work/log4j.properties" \
    -Dzkbench.log="$run/server.log" -Dzookeeper.admin.enableServer=false \
    org.apache.zookeeper.server.quorum.QuorumPeerMain "$run/zoo.cfg" >"$run/stdout.log" 2>&1 </dev/null &
  server_pid=$!
  while :; do
    reply=$(srvr "$port")
    if [[ $reply == *"Zxid: "* ]]; then
      end=$(now_ms)
      break
    fi
    if ! kill -0 "$server_pid" 2>/dev/null; then
      echo "$0: ZooKeeper exited before serving; its log:" >&2
      tail -20 "$run/server.log" "$run/stdout.log" >&2
      exit 1
    fi
    if [ $(( $(now_ms) - start )) -ge $((start_timeout * 1000)) ]; then
      echo "$0: ZooKeeper did not serve within ${start_timeout}s; see its log above" >&2
      tail -20 "$run/server.log" >&2
      exit 1
    fi
    sleep 0.02
  done
  kill -TERM "$server_pid"
  wait "$server_pid" 2>/dev/null || true
  server_pid=""
  line=$(grep -o 'Snapshot loaded in [0-9]* ms, highest zxid is 0x[0-9a-f]*, digest is [-0-9]*' "$run/server.log" | head -1)
  [ -n "$line" ] || { echo "$0: no \"Snapshot loaded\" line in ZooKeeper's log" >&2; exit 1; }
  awk -v serving=$((end - start)) '{ z = $9; sub(/,$/, "", z); print $4, serving, z, $12 }' <<<"$line"
  rm -rf "$run"
}

# zkbench_round prints "total_ms load_ms zxid digest".
zkbench_round() {
  local args=("$data")
  [ -n "$logdir" ] && args+=(--data-log-dir "$logdir")
  "$zkbench" restore --json "${args[@]}" |
    jq -r '.members[0] | "\(.total_ms) \(.snapshot.load_ms) \(.last_zxid) \(.digest)"'
}

median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

echo "round  zookeeper: restore  serving    zkbench restore: total    load  zxid, digest"
status=0
for ((r = 1; r <= rounds; r++)); do
  read -r zk_loaded zk_serving zk_zxid zk_digest < <(zookeeper_round)
  read -r zb_total zb_load zb_zxid zb_digest < <(zkbench_round)
  same="same"
  if [ "$zk_zxid" != "$zb_zxid" ] || [ "$zk_digest" != "$zb_digest" ]; then
    same="DIFFERENT: ZooKeeper $zk_zxid $zk_digest, zkbench $zb_zxid $zb_digest"
    status=1
  fi
  printf '%5d  %15d ms  %6d ms  %17.1f ms  %6.1f ms  %s %s\n' "$r" "$zk_loaded" "$zk_serving" "$zb_total" "$zb_load" "$zb_zxid" "$same"
  echo "$zk_loaded $zk_serving $zb_total $zb_load $(awk -v zk="$zk_loaded" -v zb="$zb_total" 'BEGIN { print (zb > 0 ? zk / zb : 0) }')" >>"$work/rounds"
done
zk_med=$(cut -d' ' -f1 "$work/rounds" | median)
serve_med=$(cut -d' ' -f2 "$work/rounds" | median)
zb_med=$(cut -d' ' -f3 "$work/rounds" | median)
ratio_med=$(cut -d' ' -f5 "$work/rounds" | median)
# The ratio's median is over the rounds' own ratios: each pair ran back to
# back, so a machine whose load drifts moves both sides of a pair alike.
awk -v zk="$zk_med" -v serve="$serve_med" -v zb="$zb_med" -v ratio="$ratio_med" -v n="$rounds" 'BEGIN {
  printf "median of %d: ZooKeeper restore %.0f ms (serving after %.0f ms), zkbench restore %.1f ms; ", n, zk, serve, zb
  printf "ZooKeeper'\''s restore took %.2fx as long as zkbench'\''s (median of the rounds'\'' ratios)\n", ratio
}'
exit $status
