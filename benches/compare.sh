#!/usr/bin/env bash
# The speed targets of docs/performance.md, measured on this machine in one run:
#
#   1. OpenSSL baselines on one core: `openssl speed -evp aes-128-cbc` and `-evp sha256` (in
#      memory, 64 KiB blocks), and `openssl enc -aes-128-cbc` / `sha256sum` over a SIZE-MiB file.
#   2. `otaseal bench --size SIZE`: V2 encrypt, decrypt + verify, V3 seal and open in memory, on
#      the cores it finds (two threads for the pipelined paths), with its own one-core baselines.
#   3. `otaseal bundle encrypt` of the SIZE-MiB file, then `otaseal bundle decrypt` and the real
#      `capgo bundle decrypt` (@capgo/cli 8.68.1, when the interop setup interop/run.sh has
#      installed it) of the same bundle, alternating, RUNS times each: median wall time and
#      peak RSS (`/usr/bin/time`), and the ratio of the medians.
#
# otaseal and capgo run unpinned (otaseal uses a second core for SHA-256 when there is one);
# the OpenSSL baselines are single-threaded and pinned to core 0.
#
# Usage: benches/compare.sh [SIZE_MIB]      (default 64)
# Env:   OTASEAL_BIN=...  an already built release otaseal (default: cargo build --release)
#        RUNS=5           runs per command
#        KEEP=1           keep the scratch directory
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
size_mib="${1:-64}"
keys="$root/spec/vectors/capgo-cli/keys"
capgo_project="$root/interop/work/plugin-8.51.23"

if [ -z "${OTASEAL_BIN:-}" ]; then
    cargo build -q --release -p otaseal-cli --manifest-path "$root/Cargo.toml"
fi
otaseal="${OTASEAL_BIN:-${CARGO_TARGET_DIR:-$root/target}/release/otaseal}"
work="$(mktemp -d)"
[ -n "${KEEP:-}" ] || trap 'rm -rf "$work"' EXIT

# The single-threaded baselines run on one core when taskset exists.
pin=()
command -v taskset >/dev/null && pin=(taskset -c 0)

echo "== machine"
grep -m1 'model name' /proc/cpuinfo || true
echo "cores: $(nproc)"
"$otaseal" --version

echo "== openssl speed (in memory, 64 KiB blocks, 3 s each, one core)"
openssl version
"${pin[@]}" openssl speed -seconds 3 -bytes 65536 -evp aes-128-cbc 2>/dev/null | tail -1
"${pin[@]}" openssl speed -seconds 3 -bytes 65536 -evp sha256 2>/dev/null | tail -1

file="$work/bundle.zip"
head -c "$((size_mib << 20))" /dev/urandom >"$file"
cat "$file" >/dev/null # warm the page cache

# One run of a command: "WALL_NS USER SYS PEAK_RSS_KIB" on standard output.
# PIN=1 runs it on one core.
run_once() {
    local start end p=()
    [ -z "${PIN:-}" ] || p=("${pin[@]}")
    start="$(date +%s%N)"
    /usr/bin/time -f '%U %S %M' -o "$work/time" "${p[@]}" "$@" >/dev/null 2>"$work/err" || {
        echo "FAILED: $*" >&2
        cat "$work/err" >&2
        return 1
    }
    end="$(date +%s%N)"
    echo "$((end - start)) $(cat "$work/time")"
}

# Median of the runs in FILE (lines of run_once), printed as a row.
report() {
    python3 - "$1" "$2" "$size_mib" <<'PY'
import statistics, sys
label, path, size = sys.argv[1], sys.argv[2], int(sys.argv[3])
runs = [list(map(float, l.split())) for l in open(path) if l.strip()]
wall = statistics.median(r[0] for r in runs) / 1e9
rss = max(r[3] for r in runs) / 1024
user = statistics.median(r[1] for r in runs)
sys_ = statistics.median(r[2] for r in runs)
print(f"{label:<42} {wall:7.3f} s wall (median of {len(runs)}) {size*1048576/wall/1e6:7.1f} MB/s"
      f"  user {user:5.2f} s  sys {sys_:5.2f} s  peak RSS {rss:6.1f} MiB")
PY
}

# RUNS runs of a command, median reported.
timed() {
    local label="$1"
    shift
    : >"$work/runs"
    for _ in $(seq "${RUNS:-5}"); do run_once "$@" >>"$work/runs"; done
    report "$label" "$work/runs"
}

echo "== $size_mib MiB file, median of ${RUNS:-5} (wall time includes reading and writing the files)"
PIN=1 timed "openssl enc -aes-128-cbc (one core)" openssl enc -aes-128-cbc \
    -K 000102030405060708090a0b0c0d0e0f -iv 0f0e0d0c0b0a09080706050403020100 \
    -in "$file" -out "$work/openssl.enc"
PIN=1 timed "sha256sum (one core)" sha256sum "$file"
# --force: each run replaces the last run's output (atomically), as a re-run does.
timed "otaseal bundle encrypt" "$otaseal" bundle encrypt "$file" --key "$keys/k1.key" \
    -o "$work/bundle.enc" --force
out="$("$otaseal" bundle encrypt "$file" --key "$keys/k1.key" -o "$work/bundle.enc" --force --json)"
ivsk="$(python3 -c 'import json,sys; print(json.load(sys.stdin)["ivSessionKey"])' <<<"$out")"
signed="$(python3 -c 'import json,sys; print(json.load(sys.stdin)["checksum"])' <<<"$out")"
decrypt_otaseal() {
    run_once "$otaseal" bundle decrypt "$work/bundle.enc" "$ivsk" --key "$keys/k1.pub" \
        --checksum "$signed" -o "$work/otaseal.dec" --force
}

capgo=""
if [ -x "$capgo_project/node_modules/.bin/capgo" ]; then
    capgo=1
    cp "$work/bundle.enc" "$work/capgo.zip"
fi
# capgo writes FILE_decrypted.zip beside its input and must run inside the project folder.
decrypt_capgo() {
    (cd "$capgo_project" && CI=true NO_COLOR=1 CAPGO_DISABLE_TELEMETRY=1 \
        run_once ./node_modules/.bin/capgo bundle decrypt "$work/capgo.zip" "$ivsk" \
        --checksum "$signed" --key "$keys/k1.pub" </dev/null)
}
: >"$work/ours"
: >"$work/theirs"
for _ in $(seq "${RUNS:-5}"); do
    decrypt_otaseal >>"$work/ours"
    [ -z "$capgo" ] || decrypt_capgo >>"$work/theirs"
done
cmp "$file" "$work/otaseal.dec"
echo "== bundle decrypt${capgo:+, alternating with capgo}"
report "otaseal bundle decrypt" "$work/ours"
if [ -n "$capgo" ]; then
    cmp "$file" "$work/capgo.zip_decrypted.zip" # capgo appends _decrypted.zip to the name
    report "capgo bundle decrypt (@capgo/cli 8.68.1)" "$work/theirs"
    python3 - "$work/ours" "$work/theirs" <<'PY'
import statistics, sys
med = [statistics.median(float(l.split()[0]) for l in open(p) if l.strip()) for p in sys.argv[1:]]
print(f"otaseal is {med[1] / med[0]:.1f}x faster (median wall time)")
PY
else
    echo "capgo bundle decrypt: skipped (run interop/run.sh first to install @capgo/cli)"
fi

echo "== otaseal bench --size ${size_mib}M (in memory, on the cores it finds)"
"$otaseal" bench --size "${size_mib}M"
