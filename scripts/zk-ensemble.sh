#!/usr/bin/env bash
# zk-ensemble.sh start|stop|status DIR — a real three-server ZooKeeper 3.8
# ensemble on loopback, to run zkbench against (--target zk://…).
#
#   start   writes DIR/server{1,2,3}/ (zoo.cfg, myid, data, log), starts the
#           three servers, waits until one leads and two follow, and prints
#           the target URL: zk://127.0.0.1:2181,127.0.0.1:2182,127.0.0.1:2183
#   stop    stops the servers started in DIR (SIGTERM, SIGKILL after 15 s);
#           their data and logs stay in DIR
#   status  prints each server's role, or "down"
#
# The servers are the Debian package's (apt-get install zookeeper: jars in
# /usr/share/java) on a Java runtime, launched as internal/zkref launches
# its reference server: QuorumPeerMain with a zoo.cfg, logging to
# DIR/serverN/server.log. The four-letter words mntr, ruok and srvr are
# allowed, so zkbench can read the servers' figures (mntr); the admin web
# server is off (three of them would fight over port 8080).
#
# Ports: server N (1..3) listens for clients on CLIENT_PORT+N-1 (default
# 2181..2183), for followers on QUORUM_PORT+N-1 (2888..2890) and for
# leader election on ELECTION_PORT+N-1 (3888..3890), all on 127.0.0.1.
# Environment: CLIENT_PORT, QUORUM_PORT, ELECTION_PORT, JAR_DIR (default
# /usr/share/java), START_TIMEOUT (seconds, default 60). Exit status: 0,
# 1 when the ensemble did not come up (or did not stop), 2 on bad usage.
set -euo pipefail

usage() { echo "usage: $0 start|stop|status DIR" >&2; exit 2; }
[ $# -eq 2 ] || usage
cmd=$1
dir=$2
client_port=${CLIENT_PORT:-2181}
quorum_port=${QUORUM_PORT:-2888}
election_port=${ELECTION_PORT:-3888}
jar_dir=${JAR_DIR:-/usr/share/java}
start_timeout=${START_TIMEOUT:-60}
for v in client_port quorum_port election_port start_timeout; do
  [[ ${!v} =~ ^[1-9][0-9]*$ ]] || { echo "$0: ${v^^} must be a positive integer, got ${!v}" >&2; exit 2; }
done
servers=(1 2 3)

# The jars of ZooKeeper 3.8 and its dependencies, as internal/zkref/zkref.go
# lists them.
jars=(zookeeper zookeeper-jute slf4j-api slf4j-log4j12 log4j-1.2 commons-cli commons-io
  netty-buffer netty-common netty-handler netty-transport netty-transport-native-epoll
  netty-transport-native-unix-common netty-resolver netty-codec metrics-core snappy-java
  jackson-core jackson-databind jackson-annotations)

classpath() {
  local cp="" j
  command -v java >/dev/null || { echo "$0: no java on PATH (apt-get install -y zookeeper)" >&2; exit 2; }
  for j in "${jars[@]}"; do
    [ -f "$jar_dir/$j.jar" ] || { echo "$0: $jar_dir/$j.jar missing (apt-get install -y zookeeper)" >&2; exit 2; }
    cp+="${cp:+:}$jar_dir/$j.jar"
  done
  echo "$cp"
}

# fourletter PORT WORD prints the server's reply, or nothing when it is down.
fourletter() {
  timeout 3 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1" && printf %s "$2" >&3 && cat <&3' _ "$1" "$2" 2>/dev/null || true
}

# role PORT prints leader, follower, … or "down".
role() {
  local state
  state=$(fourletter "$1" mntr | awk -F'\t' '$1 == "zk_server_state" { print $2 }')
  echo "${state:-down}"
}

running() { [ -f "$1/pid" ] && kill -0 "$(cat "$1/pid")" 2>/dev/null; }

# port_of N is server N's client port: from its zoo.cfg once started, so
# that status needs no CLIENT_PORT.
port_of() {
  local cfg=$dir/server$1/zoo.cfg
  if [ -f "$cfg" ]; then
    awk -F= '$1 == "clientPort" { print $2 }' "$cfg"
  else
    echo $((client_port + $1 - 1))
  fi
}

url() {
  local s hosts=""
  for s in "${servers[@]}"; do hosts+="${hosts:+,}127.0.0.1:$((client_port + s - 1))"; done
  echo "zk://$hosts"
}

start() {
  local cp s sd port deadline roles
  cp=$(classpath)
  for s in "${servers[@]}"; do
    running "$dir/server$s" && { echo "$0: server $s already running in $dir (pid $(cat "$dir/server$s/pid"))" >&2; exit 1; }
    for port in $((client_port + s - 1)) $((quorum_port + s - 1)) $((election_port + s - 1)); do
      if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
        echo "$0: port $port is in use (set CLIENT_PORT, QUORUM_PORT, ELECTION_PORT)" >&2; exit 1
      fi
    done
  done
  for s in "${servers[@]}"; do
    sd=$dir/server$s
    mkdir -p "$sd/data"
    echo "$s" >"$sd/data/myid"
    {
      echo "tickTime=2000"
      echo "initLimit=10"
      echo "syncLimit=5"
      echo "dataDir=$(cd "$sd/data" && pwd)"
      echo "clientPort=$((client_port + s - 1))"
      echo "clientPortAddress=127.0.0.1"
      echo "admin.enableServer=false"
      echo "4lw.commands.whitelist=mntr,ruok,srvr"
      for peer in "${servers[@]}"; do
        echo "server.$peer=127.0.0.1:$((quorum_port + peer - 1)):$((election_port + peer - 1))"
      done
    } >"$sd/zoo.cfg"
    cat >"$sd/log4j.properties" <<'EOF'
log4j.rootLogger=INFO, F
log4j.appender.F=org.apache.log4j.FileAppender
log4j.appender.F.File=${zkbench.log}
log4j.appender.F.layout=org.apache.log4j.PatternLayout
log4j.appender.F.layout.ConversionPattern=%d{ISO8601} %-5p [%t:%C{1}] - %m%n
EOF
    # setsid: the servers outlive this script and its terminal.
    setsid java -cp "$cp" -Dlog4j.configuration="file:$(cd "$sd" && pwd)/log4j.properties" \
      -Dzkbench.log="$(cd "$sd" && pwd)/server.log" -Dzookeeper.admin.enableServer=false \
      org.apache.zookeeper.server.quorum.QuorumPeerMain "$sd/zoo.cfg" \
      >"$sd/stdout.log" 2>&1 </dev/null &
    echo $! >"$sd/pid"
  done
  deadline=$((SECONDS + start_timeout))
  while :; do
    roles=""
    for s in "${servers[@]}"; do roles+=" $(role $((client_port + s - 1)))"; done
    # One leader and two followers: the ensemble has a quorum and serves.
    if [ "$(tr ' ' '\n' <<<"$roles" | sort | tr '\n' ' ')" = " follower follower leader " ]; then
      break
    fi
    for s in "${servers[@]}"; do
      running "$dir/server$s" || { echo "$0: server $s exited; see $dir/server$s/server.log" >&2; stop_servers; exit 1; }
    done
    if [ $SECONDS -ge $deadline ]; then
      echo "$0: no leader with two followers within ${start_timeout}s (roles:$roles); see $dir/server*/server.log" >&2
      stop_servers
      exit 1
    fi
    sleep 0.5
  done
  url
}

stop_servers() {
  local s sd pid deadline failed=0
  for s in "${servers[@]}"; do
    sd=$dir/server$s
    running "$sd" && kill -TERM "$(cat "$sd/pid")"
  done
  for s in "${servers[@]}"; do
    sd=$dir/server$s
    [ -f "$sd/pid" ] || continue
    pid=$(cat "$sd/pid")
    deadline=$((SECONDS + 15))
    while kill -0 "$pid" 2>/dev/null && [ $SECONDS -lt $deadline ]; do sleep 0.2; done
    if kill -0 "$pid" 2>/dev/null; then
      kill -KILL "$pid" 2>/dev/null || true
      sleep 0.2
      kill -0 "$pid" 2>/dev/null && { echo "$0: server $s (pid $pid) does not stop" >&2; failed=1; continue; }
    fi
    rm -f "$sd/pid"
  done
  return $failed
}

case $cmd in
start)
  mkdir -p "$dir"
  start
  ;;
stop)
  [ -d "$dir" ] || { echo "$0: $dir is not a directory" >&2; exit 2; }
  stop_servers || exit 1
  ;;
status)
  [ -d "$dir" ] || { echo "$0: $dir is not a directory" >&2; exit 2; }
  for s in "${servers[@]}"; do
    port=$(port_of "$s")
    echo "server $s 127.0.0.1:$port $(role "$port")"
  done
  ;;
*) usage ;;
esac
