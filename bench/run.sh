#!/usr/bin/env bash
# Runs the benchmark scenarios of BENCHMARKS.md against release builds, with the
# server pinned to core 0 and the generator to core 1, and writes the figures
# table to stdout and into BENCHMARKS.md's "Latest figures" section.
#
#   bench/run.sh            full run: 3 runs of each scenario, medians (~6-10 min)
#   bench/run.sh --quick    smoke test: short durations, 1 run, fewer users/sockets
#   bench/run.sh --no-update  do not touch BENCHMARKS.md
#
# Environment overrides: RUNS, USERS, IDLE_SOCKETS, CHAT_SECONDS, SERVER_CPU,
# GEN_CPU, PERF=1 (perf-record the server during the first closed-loop run),
# CHAT_LOG (the server's log filter; default info, as shipped).
set -euo pipefail
cd "$(dirname "$0")/.."

QUICK=0
UPDATE=1
for arg in "$@"; do
    case $arg in
        --quick) QUICK=1 ;;
        --no-update) UPDATE=0 ;;
        -h | --help) sed -n '2,13p' "$0"; exit 0 ;;
        *) echo "unknown argument: $arg" >&2; exit 2 ;;
    esac
done

if ((QUICK)); then
    RUNS=${RUNS:-1} USERS=${USERS:-200} IDLE_SOCKETS=${IDLE_SOCKETS:-2000}
    CHAT_SECONDS=${CHAT_SECONDS:-3} WARMUP=1 HTTP_SECONDS=3 CONNECT_SECONDS=3 HOLD=2
else
    RUNS=${RUNS:-3} USERS=${USERS:-1000} IDLE_SOCKETS=${IDLE_SOCKETS:-19000}
    CHAT_SECONDS=${CHAT_SECONDS:-10} WARMUP=2 HTTP_SECONDS=10 CONNECT_SECONDS=10 HOLD=10
fi
source bench/lib.sh
build_release
WORK=$(mktemp -d /tmp/chat-bench.XXXXXX)
RESULTS=$OUT/results.jsonl
STATE=$WORK/state.json
DB=$WORK/bench.db
: >"$RESULTS"
: >"$OUT/server.log"
SPID=
ADDR=
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
STARTED=$(date +%s)

cleanup() {
    stop_server
    rm -rf "$WORK"
}
trap cleanup EXIT

# Starts a fresh server process on the bench database; sets SPID and ADDR.
start_server() {
    start_server_on "$DB" "$WORK/server.out" "$OUT/server.log"
    SPID=$SERVER_PID
}

stop_server() {
    stop_process "$SPID"
    SPID=
}

# bench LABEL SECONDS_LIMIT ARGS...: one generator run, pinned, bounded in time;
# shows its lines and appends its final JSON line to the results.
bench() {
    local label=$1 limit=$2 status=0
    shift 2
    echo "-- $label: $*"
    timeout "$limit" taskset -c "$GEN_CPU" "$BENCH" --state "$STATE" --addr "$ADDR" \
        --server-pid "$SPID" --label "$label" "$@" | tee "$WORK/last.out" || status=$?
    if ! kill -0 "$SPID" 2>/dev/null; then
        echo "!! the server died during $label; see $OUT/server.log" >&2
        tail -n 20 "$OUT/server.log" >&2
        SPID=
    elif ((status)); then
        echo "!! $label failed or timed out (exit $status); its run is left out" >&2
    else
        tail -n1 "$WORK/last.out" | grep '^{' >>"$RESULTS" || true
    fi
}

# scenario LABEL LIMIT ARGS...: RUNS runs, each on a freshly started server.
scenario() {
    echo "== $1 ($RUNS runs)"
    for _ in $(seq "$RUNS"); do
        start_server
        bench "$@"
        stop_server
    done
}

echo "== startup ($RUNS runs, fresh database each)"
for i in $(seq "$RUNS"); do
    timeout 60 taskset -c "$GEN_CPU" "$BENCH" --label startup startup --server "$SERVER" \
        --cpu "$SERVER_CPU" --db "$WORK/startup-$i.db" | tee "$WORK/last.out"
    tail -n1 "$WORK/last.out" | grep '^{' >>"$RESULTS" || true
done

# The server keeps at most 16 sockets per user, so the idle scenario needs
# IDLE_SOCKETS / 16 users; the chat scenarios use the first USERS of them.
SETUP_USERS=$(((IDLE_SOCKETS + 15) / 16))
((SETUP_USERS < USERS)) && SETUP_USERS=$USERS
SETUP_USERS=$((SETUP_USERS + SETUP_USERS % 2))
echo "== setup: $SETUP_USERS users in $((SETUP_USERS / 2)) threads"
start_server
taskset -c "$GEN_CPU" "$BENCH" --state "$STATE" --addr "$ADDR" setup --users "$SETUP_USERS"
stop_server

CHAT=(--users "$USERS" --duration "$CHAT_SECONDS" --warmup "$WARMUP")
if [[ ${PERF:-0} == 1 ]] && command -v perf >/dev/null; then
    echo "== perf: closed loop, server profiled"
    start_server
    perf record -F 999 -g -p "$SPID" -o "$OUT/perf-chat.data" -- sleep "$((CHAT_SECONDS + WARMUP + 2))" \
        >/dev/null 2>&1 &
    PERF_PID=$!
    bench perf-chat-closed 300 chat --closed-loop "${CHAT[@]}"
    wait "$PERF_PID" || true
    stop_server
    {
        perf report -i "$OUT/perf-chat.data" --no-children --stdio --sort comm,dso -g none
        perf report -i "$OUT/perf-chat.data" --no-children --stdio --sort comm,sym -g none \
            --percent-limit 0.5
    } 2>/dev/null | grep -v -e '^$' -e '^#' | head -n 80 >"$OUT/perf-chat.txt" || true
    echo "(profile summary in $OUT/perf-chat.txt)"
fi
scenario chat-closed 300 chat --closed-loop "${CHAT[@]}"
scenario chat-rate 300 chat --rate 5000 "${CHAT[@]}"
scenario http 300 http --duration "$HTTP_SECONDS" --connections 50
scenario connect 300 connect --duration "$CONNECT_SECONDS" --concurrency 32
scenario idle 600 idle --connections "$IDLE_SOCKETS" --hold "$HOLD"

ELAPSED=$(($(date +%s) - STARTED))
MODE="full: $RUNS runs of each scenario, medians"
((QUICK)) && MODE="quick smoke run: 1 run, short durations, $USERS users, $IDLE_SOCKETS idle sockets — not comparable to the targets"
NOTES=(
    --note "Mode: $MODE; $USERS users; the server ran with \`--msg-rate 0\` (rate limit off) and \`CHAT_LOG=$CHAT_LOG\`, pinned to core $SERVER_CPU, the generator to core $GEN_CPU. Load average before the run: $LOAD_BEFORE; the whole script took ${ELAPSED} s."
    --note "CPU columns: CPU time over wall time during the measured window, 100% = one core busy. A generator near 100% means the run was generator-bound and the figure is a floor for the server."
)
echo
echo "== figures"
if ((UPDATE)); then
    "$BENCH" report "$RESULTS" --date "$(date -u '+%Y-%m-%d %H:%M UTC')" "${NOTES[@]}" --update BENCHMARKS.md
else
    "$BENCH" report "$RESULTS" --date "$(date -u '+%Y-%m-%d %H:%M UTC')" "${NOTES[@]}"
fi
echo "(raw JSON lines: $RESULTS)"
