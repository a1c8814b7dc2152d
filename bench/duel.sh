#!/usr/bin/env bash
# Compares two server builds on a machine whose speed drifts: both servers run
# at once, pinned to the same core, each driven by its own closed-loop
# generator on the other core, so both see the same machine at the same time.
# (On the shared 2-core machine of BENCHMARKS.md the same build measures
# anywhere from 52k to 67k msg/s from one minute to the next, which swamps a
# change worth a few percent in sequential runs.) Prints, per round, each
# build's messages per second and server CPU time per message, then the means.
#
#   bench/duel.sh OLD_SERVER NEW_SERVER     e.g. a chat-server saved from main
#                                           against target/release/chat-server
#
# Environment: ROUNDS (4; the build started first alternates), USERS (1000
# per server), CHAT_SECONDS (8), SERVER_CPU, GEN_CPU.
#
# Each server gets half a core, so the figures are not those of bench/run.sh:
# batches are smaller and two servers' working sets share the caches. Use it
# for CPU cost per message (code paths), not for batching or durability
# settings, which depend on the load one server sees.
set -euo pipefail
cd "$(dirname "$0")/.."

if (($# != 2)); then
    sed -n '2,19p' "$0"
    exit 2
fi
OLD=$(realpath "$1")
NEW=$(realpath "$2")
ROUNDS=${ROUNDS:-4}
USERS=${USERS:-1000}
CHAT_SECONDS=${CHAT_SECONDS:-8}
source bench/lib.sh
echo "== building the generator"
cargo build --release -p chat-bench
BENCH=$(realpath "$BENCH")
WORK=$(mktemp -d /tmp/chat-duel.XXXXXX)
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do stop_process "$pid"; done
    rm -rf "$WORK"
}
trap cleanup EXIT

echo "== setup: $USERS users on one database, copied for each server"
SERVER=$OLD start_server_on "$WORK/template.db" "$WORK/setup.out" "$WORK/server.log"
PIDS=("$SERVER_PID")
taskset -c "$GEN_CPU" "$BENCH" --state "$WORK/state.json" --addr "$ADDR" setup --users "$USERS"
stop_process "$SERVER_PID"
PIDS=()

# field NAME FILE: a number from the generator's final JSON line.
field() {
    grep '^{' "$2" | tail -n1 | grep -o "\"$1\":[0-9.]*" | head -n1 | cut -d: -f2
}

# One line per build of a round: name, msg/s, µs of server CPU per message.
report() {
    local name=$1 out=$2 rate cpu wall lost dup ooo
    rate=$(field delivered_per_s "$out")
    cpu=$(field server_cpu_s "$out")
    wall=$(field wall_s "$out")
    lost=$(field lost "$out")
    dup=$(field duplicated "$out")
    ooo=$(field out_of_order "$out")
    if [[ -z $rate || -z $cpu ]]; then
        echo "!! no result from $name; see $out" >&2
        exit 1
    fi
    awk -v n="$name" -v r="$rate" -v c="$cpu" -v w="$wall" -v l="$lost" -v d="$dup" -v o="$ooo" \
        'BEGIN { printf "%-4s %8.0f msg/s  %6.2f us/msg  lost/dup/ooo %s/%s/%s\n", n, r, c * 1e6 / (r * w), l, d, o }'
}

RESULTS=$WORK/results.txt
: >"$RESULTS"
declare -A pid addr
for round in $(seq "$ROUNDS"); do
    order=(old new)
    ((round % 2 == 0)) && order=(new old)
    for name in "${order[@]}"; do
        cp "$WORK/template.db" "$WORK/$name.db"
        binary=$OLD
        [[ $name == new ]] && binary=$NEW
        SERVER=$binary start_server_on "$WORK/$name.db" "$WORK/$name.out" "$WORK/server.log"
        pid[$name]=$SERVER_PID
        addr[$name]=$ADDR
        PIDS+=("$SERVER_PID")
    done
    generators=()
    for name in "${order[@]}"; do
        timeout $((CHAT_SECONDS + 60)) taskset -c "$GEN_CPU" "$BENCH" --state "$WORK/state.json" \
            --addr "${addr[$name]}" --server-pid "${pid[$name]}" \
            chat --closed-loop --users "$USERS" --duration "$CHAT_SECONDS" >"$WORK/$name.gen" 2>&1 &
        generators+=($!)
    done
    wait "${generators[@]}" || true
    echo "-- round $round (${order[0]} started first)"
    for name in old new; do
        report "$name" "$WORK/$name.gen" | tee -a "$RESULTS"
        stop_process "${pid[$name]}"
    done
    PIDS=()
    rm -f "$WORK"/old.db* "$WORK"/new.db*
done

echo "== means over $ROUNDS rounds"
awk '{ rate[$1] += $2; us[$1] += $4; n[$1]++ }
     END {
         for (k in n) printf "%-4s %8.0f msg/s  %6.2f us/msg\n", k, rate[k] / n[k], us[k] / n[k]
         if (n["old"] && n["new"])
             printf "new/old CPU per message: %.3f (below 1: the new build is cheaper)\n", (us["new"] / n["new"]) / (us["old"] / n["old"])
     }' "$RESULTS"
