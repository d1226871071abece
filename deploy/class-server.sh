#!/usr/bin/env bash
# A class server on one machine: N Streamlit replicas of the app behind HAProxy on one port.
#
#   deploy/class-server.sh [--replicas N] [--port 8501] [--bind 0.0.0.0] [--first-replica-port 8601]
#                          [--logs DIR] [--check] [-- extra streamlit options]
#
# N defaults to one replica per core, less one (one Streamlit process computes on one core at a time, see
# docs/classroom.md). The replicas listen on 127.0.0.1 only; HAProxy (deploy/haproxy.cfg) keeps each browser
# on its replica with a cookie. They share the cookie secret (STREAMLIT_SERVER_COOKIE_SECRET, made here when
# unset: what Streamlit signs, e.g. its login cookies, is then valid on every replica) and nothing else.
# A replica that exits is started again; Ctrl-C (or SIGTERM to this script) stops everything it started.
# --check writes the configuration, checks it with `haproxy -c` and exits.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"

cores=$(nproc 2>/dev/null || echo 2)
replicas=$(( cores > 1 ? cores - 1 : 1 ))
port=8501
bind=0.0.0.0
first_replica_port=8601
logs=""
check_only=0
while [ $# -gt 0 ]; do
  case "$1" in
    --replicas) replicas=$2; shift 2 ;;
    --port) port=$2; shift 2 ;;
    --bind) bind=$2; shift 2 ;;
    --first-replica-port) first_replica_port=$2; shift 2 ;;
    --logs) logs=$2; shift 2 ;;
    --check) check_only=1; shift ;;
    --) shift; break ;;
    -h|--help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
extra_options=("$@")

if ! command -v haproxy >/dev/null; then
  echo "haproxy is not installed: sudo apt-get install haproxy (see docs/classroom.md)" >&2
  exit 1
fi
if [ -z "${PYTHON:-}" ]; then
  if [ -x "$ROOT/.venv/bin/python" ]; then PYTHON="$ROOT/.venv/bin/python"; else PYTHON=python3; fi
fi
if [ -z "$logs" ]; then
  logs=$(mktemp -d "${TMPDIR:-/tmp}/makemore-class.XXXXXX")
  if [ "$check_only" = 1 ]; then trap 'rm -rf "$logs"' EXIT; fi
fi
mkdir -p "$logs"

# the second configuration file: the replicas, each with its cookie value
{
  echo "backend replicas"
  for i in $(seq 1 "$replicas"); do
    echo "    server r$i 127.0.0.1:$(( first_replica_port + i - 1 )) cookie r$i"
  done
} > "$logs/replicas.cfg"
export MAKEMORE_BIND="$bind:$port"
haproxy -q -c -f deploy/haproxy.cfg -f "$logs/replicas.cfg"
if [ "$check_only" = 1 ]; then
  echo "configuration valid: deploy/haproxy.cfg and $replicas replica(s) on 127.0.0.1:$first_replica_port and up"
  exit 0
fi

listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
healthy() {  # Streamlit's health check answers 200 on port $1 (of host $2, by default 127.0.0.1)
  local status
  status=$( (exec 3<>"/dev/tcp/${2:-127.0.0.1}/$1" && printf 'GET /_stcore/health HTTP/1.0\r\n\r\n' >&3 \
             && head -c 12 <&3) 2>/dev/null || true)
  [[ "$status" == *" 200"* ]]
}
for p in "$port" $(seq "$first_replica_port" $(( first_replica_port + replicas - 1 ))); do
  if listening "$p"; then echo "port $p is in use: choose others (--port, --first-replica-port)" >&2; exit 1; fi
done

: "${STREAMLIT_SERVER_COOKIE_SECRET:=$("$PYTHON" -c 'import secrets; print(secrets.token_hex(32))')}"
export STREAMLIT_SERVER_COOKIE_SECRET

replica() {  # $1: number, $2: port. Runs the server, and again whenever it exits, until this loop gets SIGTERM.
  local child="" status
  trap 'if [ -n "$child" ]; then kill -TERM "$child" 2>/dev/null; wait "$child" 2>/dev/null; fi; exit 0' TERM
  while :; do
    "$PYTHON" -m streamlit run streamlit_app.py --server.headless true --server.address 127.0.0.1 \
      --server.port "$2" --server.fileWatcherType none --browser.gatherUsageStats false \
      ${extra_options[@]+"${extra_options[@]}"} >>"$logs/replica-$1.log" 2>&1 &
    child=$!
    echo "$(date +%T) replica $1: pid $child on 127.0.0.1:$2" >> "$logs/replicas.log"
    status=0
    wait "$child" || status=$?
    echo "$(date +%T) replica $1 (pid $child) exited with status $status: starting it again" \
      | tee -a "$logs/replicas.log"
    child=""
    sleep 1
  done
}

pids=()
stop() {
  trap '' INT TERM
  trap - EXIT
  echo "stopping the class server"
  kill -TERM "${pids[@]}" 2>/dev/null || true
  wait || true
}
trap stop EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

for i in $(seq 1 "$replicas"); do
  replica "$i" $(( first_replica_port + i - 1 )) &
  pids+=($!)
done
echo "starting $replicas replica(s); their logs: $logs"
deadline=$(( SECONDS + ${MAKEMORE_START_TIMEOUT:-300} ))
for i in $(seq 1 "$replicas"); do
  until healthy $(( first_replica_port + i - 1 )); do
    if [ "$SECONDS" -gt "$deadline" ]; then echo "replica $i did not start: see $logs/replica-$i.log" >&2; exit 1; fi
    sleep 0.5
  done
done
haproxy -db -f deploy/haproxy.cfg -f "$logs/replicas.cfg" &
pids+=($!)
proxy_host=$bind; [[ "$bind" = 0.0.0.0 || "$bind" = "::" ]] && proxy_host=127.0.0.1
until healthy "$port" "$proxy_host"; do
  if ! kill -0 "${pids[-1]}" 2>/dev/null; then echo "haproxy did not start" >&2; exit 1; fi
  sleep 0.2
done
host=$bind; [ "$host" = 0.0.0.0 ] && host=$(hostname -I 2>/dev/null | cut -d' ' -f1); host=${host:-localhost}
echo "class server ready: http://$host:$port ($replicas replica(s)); Ctrl-C stops it"
status=0
wait "${pids[-1]}" || status=$?
echo "haproxy exited with status $status" >&2
exit "$status"
