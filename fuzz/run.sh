#!/usr/bin/env bash
# Runs every cargo-fuzz target for a bounded time (default 60 s each) and fails if
# any of them finds a crash. Not part of CI; the stable test suite runs the same
# properties on a seeded corpus (tests/tests/minifuzz).
#
#   fuzz/run.sh                 # every target, 60 s each
#   fuzz/run.sh 300             # every target, 300 s each
#   fuzz/run.sh 30 client_frame # one target
#
# cargo-fuzz passes nightly-only flags (-Zsanitizer=address, sanitizer coverage).
# Only stable Rust is installed here, so the script sets RUSTC_BOOTSTRAP=1, which
# lets the stable compiler accept them (a build-tooling escape hatch; the server
# itself never builds this way). It installs cargo-fuzz from crates.io if missing.
# Findings: crashes go to fuzz/artifacts/TARGET/, the growing corpus to
# fuzz/corpus/TARGET/ (both git-ignored); seeds are in fuzz/seeds/TARGET/.
# A crash must become a regression test in the owning crate's tests.
set -euo pipefail

cd "$(dirname "$0")"
seconds="${1:-60}"
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    targets=(client_frame http_request core_parsers password)
fi

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "installing cargo-fuzz (a few minutes)..."
    cargo install cargo-fuzz --locked
fi

export RUSTC_BOOTSTRAP=1
for target in "${targets[@]}"; do
    if ! cargo fuzz build -O "$target" > "/tmp/chat-fuzz-build-$target.log" 2>&1; then
        tail -n 30 "/tmp/chat-fuzz-build-$target.log"
        echo "BUILD FAILED for $target (not a fuzz finding)"
        exit 2
    fi
done
failed=()
for target in "${targets[@]}"; do
    mkdir -p "corpus/$target"
    echo "== $target: ${seconds} s"
    # -O: optimised (with debug assertions); -rss_limit_mb guards against memory blow-ups;
    # -timeout flags any single input that takes over 10 s.
    if ! cargo fuzz run -O "$target" "corpus/$target" "seeds/$target" -- \
        -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
        2> "corpus/$target.log"; then
        failed+=("$target")
        tail -n 40 "corpus/$target.log"
    fi
    grep -E '^(Done|stat::number_of_executed_units|stat::peak_rss_mb)' "corpus/$target.log" || true
    echo "   corpus: $(find "corpus/$target" -type f | wc -l) inputs"
done

if [ ${#failed[@]} -gt 0 ]; then
    echo "CRASHES in: ${failed[*]} (see fuzz/artifacts/)"
    exit 1
fi
echo "no crash in ${targets[*]} (${seconds} s each)"
