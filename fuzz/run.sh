#!/usr/bin/env bash
# Runs every fuzz target for SECONDS each (default 60), one after the other, on nightly with
# cargo-fuzz (`cargo install cargo-fuzz --locked`). New corpus entries go to
# fuzz/corpus/<target>/ (ignored by git except seed-*), crashes to fuzz/artifacts/<target>/.
#
#   fuzz/run.sh 600            # 10 minutes per target
#   JOBS=2 fuzz/run.sh 600     # two targets at a time
#   TARGETS="type1 roundtrip" fuzz/run.sh 30
#
# Exits non-zero if any target found a crash; the summary line of each run is printed.
set -euo pipefail
cd "$(dirname "$0")"
SECONDS_PER_TARGET="${1:-60}"
JOBS="${JOBS:-1}"
TARGETS="${TARGETS:-$(cargo +nightly fuzz list)}"
RSS_MB="${RSS_MB:-2048}"
# otaseal's crates forbid unsafe code, so AddressSanitizer finds little that a panic would not,
# and it slows the RSA targets tenfold; SANITIZER=address turns it back on.
SANITIZER="${SANITIZER:-none}"
LOGS=artifacts/logs # ignored by git, as all of fuzz/artifacts
mkdir -p "$LOGS"
cargo +nightly fuzz build -O -s "$SANITIZER"

# Inputs up to 140 000 bytes for the decrypt targets, so that bodies cross the 64 KiB
# streaming buffer (V2, V1) and the 64 KiB chunk (V3); the seeds above 64 KiB
# (make_seeds.py) start them there. -len_control=0 lets libFuzzer try long inputs at once
# instead of growing them slowly from short ones. libFuzzer's default (4096) elsewhere.
max_len() {
    case "$1" in
        v2_decrypt | v1_decrypt | roundtrip | v3_open) echo 140000 ;;
        *) echo 4096 ;;
    esac
}

len_control() {
    case "$1" in
        v2_decrypt | v1_decrypt | roundtrip | v3_open) echo 0 ;;
        *) echo 100 ;;
    esac
}

run_one() {
    local t="$1"
    mkdir -p "corpus/$t" "artifacts/$t"
    echo "== $t: ${SECONDS_PER_TARGET}s"
    if cargo +nightly fuzz run -O -s "$SANITIZER" "$t" "corpus/$t" -- \
        -max_total_time="$SECONDS_PER_TARGET" -rss_limit_mb="$RSS_MB" \
        -max_len="$(max_len "$t")" -len_control="$(len_control "$t")" -timeout=30 -print_final_stats=1 \
        >"$LOGS/$t.log" 2>&1; then
        echo "== $t: ok: $(grep -E '^stat::number_of_executed_units' "$LOGS/$t.log" | tail -1)"
    else
        echo "== $t: FAILED (see fuzz/$LOGS/$t.log and fuzz/artifacts/$t/)"
        return 1
    fi
}

status=0
running=0
for t in $TARGETS; do
    run_one "$t" &
    running=$((running + 1))
    if [ "$running" -ge "$JOBS" ]; then
        wait -n || status=1
        running=$((running - 1))
    fi
done
while [ "$running" -gt 0 ]; do
    wait -n || status=1
    running=$((running - 1))
done
exit "$status"
