# Shared by bench/run.sh, bench/soak.sh and bench/two-process.sh (sourced, not run).
# The caller has done `cd` to the workspace root and `set -euo pipefail`.

# Pins and logging every script uses; `setup` signs every user up from one
# address, so the per-address signup limit is lifted.
SERVER_CPU=${SERVER_CPU:-0}
GEN_CPU=${GEN_CPU:-1}
export CHAT_LOG=${CHAT_LOG:-info}
export CHAT_SIGNUP_LIMIT=0
SERVER=target/release/chat-server
BENCH=target/release/chat-bench
OUT=target/bench

# Builds the release server and generator; creates $OUT.
build_release() {
    echo "== building release binaries"
    cargo build --release -p chat-server -p chat-bench
    mkdir -p "$OUT"
}

# start_server_on DB STDOUT_FILE LOG_FILE [SERVE_ARGS...]: starts a server on
# core $SERVER_CPU on a free port with the message rate limit off, appending
# its log to LOG_FILE; waits for its `listening on` line. Sets SERVER_PID and
# ADDR; exits the script with the log's tail if the server does not start.
start_server_on() {
    local db=$1 stdout=$2 log=$3
    shift 3
    : >"$stdout"
    taskset -c "$SERVER_CPU" "$SERVER" serve --addr 127.0.0.1:0 --db "$db" --msg-rate 0 \
        --max-connections 19500 "$@" >"$stdout" 2>>"$log" &
    SERVER_PID=$!
    for _ in $(seq 500); do
        grep -q '^listening on http://' "$stdout" && break
        kill -0 "$SERVER_PID" 2>/dev/null || break
        sleep 0.02
    done
    ADDR=$(sed -n 's|^listening on http://||p' "$stdout" | head -n1)
    if [[ -z $ADDR ]]; then
        echo "the server did not start; see $log" >&2
        tail -n 20 "$log" >&2
        exit 1
    fi
}

# stop_process PID: SIGTERM, up to 5 s for a graceful exit, then SIGKILL.
stop_process() {
    local pid=$1
    [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null || return 0
    kill -TERM "$pid"
    for _ in $(seq 250); do kill -0 "$pid" 2>/dev/null || break; sleep 0.02; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
    wait "$pid" 2>/dev/null || true
}
