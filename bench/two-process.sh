#!/usr/bin/env bash
# The chat scenarios of BENCHMARKS.md with two server processes on one database,
# linked through Redis (issue 7), beside the same scenarios on one process in the
# same conditions. Every thread has one member on process A and one on B, so
# every message crosses processes (chat-bench `chat --peer-addr`).
#
#   bench/two-process.sh          3 runs of each, medians (~3 minutes)
#   bench/two-process.sh --quick  1 short run of each, 200 users
#
# Both server processes and redis-server are pinned to core 0 (the CPU budget
# of the one-process runs), the generator to core 1. Prints two tables (one
# process, two processes); BENCHMARKS.md quotes them by hand. Environment
# overrides: RUNS, USERS, CHAT_SECONDS, SERVER_CPU, GEN_CPU, CHAT_LOG.
set -euo pipefail
cd "$(dirname "$0")/.."

QUICK=0
for arg in "$@"; do
    case $arg in
        --quick) QUICK=1 ;;
        -h | --help) sed -n '2,13p' "$0"; exit 0 ;;
        *) echo "unknown argument: $arg" >&2; exit 2 ;;
    esac
done
if ((QUICK)); then
    RUNS=${RUNS:-1} USERS=${USERS:-200} CHAT_SECONDS=${CHAT_SECONDS:-3} WARMUP=1
else
    RUNS=${RUNS:-3} USERS=${USERS:-1000} CHAT_SECONDS=${CHAT_SECONDS:-10} WARMUP=2
fi
source bench/lib.sh
command -v redis-server >/dev/null || { echo "needs redis-server (apt-get install redis-server)" >&2; exit 1; }

build_release
WORK=$(mktemp -d /tmp/chat-bench-2p.XXXXXX)
DB=$WORK/bench.db
STATE=$WORK/state.json
LOG=$OUT/two-process.log
: >"$LOG"
: >"$OUT/one-process.jsonl"
: >"$OUT/two-process.jsonl"
PIDS=()
REDIS_PORT=${REDIS_PORT:-16379}
if (echo >"/dev/tcp/127.0.0.1/$REDIS_PORT") 2>/dev/null; then
    echo "port $REDIS_PORT is taken; set REDIS_PORT" >&2
    exit 1
fi

cleanup() {
    stop_servers
    [[ -n ${REDIS_PID:-} ]] && kill "$REDIS_PID" 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT

taskset -c "$SERVER_CPU" redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save "" \
    --appendonly no >>"$LOG" 2>&1 &
REDIS_PID=$!
sleep 0.3

# start_server [ARGS...]: one more server process on the bench database; sets ADDR.
start_server() {
    start_server_on "$DB" "$WORK/server-${#PIDS[@]}.out" "$LOG" "$@"
    PIDS+=("$SERVER_PID")
}

stop_servers() {
    for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
    PIDS=()
}

# run RESULTS LABEL ARGS...: one generator run against fresh server process(es).
run() {
    local results=$1 label=$2 a b=
    shift 2
    if [[ $results == *two-process* ]]; then
        start_server --redis "redis://127.0.0.1:$REDIS_PORT"
        a=$ADDR
        start_server --redis "redis://127.0.0.1:$REDIS_PORT"
        b=$ADDR
        set -- "$@" --peer-addr "$b"
    else
        start_server
        a=$ADDR
    fi
    echo "-- $label ($results): $*"
    timeout 300 taskset -c "$GEN_CPU" "$BENCH" --state "$STATE" --addr "$a" \
        --server-pid "${PIDS[0]}" --label "$label" "$@" | tee "$WORK/last.out" || true
    tail -n1 "$WORK/last.out" | grep '^{' >>"$OUT/$results" || true
    stop_servers
}

echo "== setup: $USERS users"
start_server
taskset -c "$GEN_CPU" "$BENCH" --state "$STATE" --addr "$ADDR" setup --users "$USERS"
stop_servers

CHAT=(chat --users "$USERS" --duration "$CHAT_SECONDS" --warmup "$WARMUP")
for _ in $(seq "$RUNS"); do
    for results in one-process.jsonl two-process.jsonl; do
        run "$results" chat-closed "${CHAT[@]}" --closed-loop
        run "$results" chat-rate "${CHAT[@]}" --rate 5000
    done
done

for results in one-process two-process; do
    echo
    echo "== $results (server CPU column: process A only)"
    "$BENCH" report "$OUT/$results.jsonl" --date "$(date -u '+%Y-%m-%d %H:%M UTC')" |
        grep -E '^\| (scenario|---|1,000|same users)' || true
done
echo "(raw JSON lines: $OUT/one-process.jsonl, $OUT/two-process.jsonl; logs: $LOG)"
