#!/usr/bin/env bash
# The speed targets of docs/performance.md, measured on this machine, one core each:
#
#   1. OpenSSL baselines: `openssl speed -evp aes-128-cbc` and `-evp sha256` (in memory), and
#      `openssl enc -aes-128-cbc` over a SIZE-MiB file (wall time, with file I/O).
#   2. `otaseal bench --size SIZE`: AES-128-CBC, SHA-256, V2 decrypt+verify and encrypt in memory.
#   3. `otaseal bundle encrypt` / `otaseal bundle decrypt` of the SIZE-MiB file: wall time and
#      peak RSS (`/usr/bin/time -v`).
#   4. The real `capgo bundle decrypt` (@capgo/cli 8.68.1) on the same bundle, when the interop
#      setup (interop/run.sh, interop/work/plugin-8.51.23) is installed.
#
# Usage: benches/compare.sh [SIZE_MIB]      (default 64)
# Env:   OTASEAL_BIN=...  an already built release otaseal (default: cargo build --release)
#        RUNS=5           runs per command (the best wall time is kept)
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

# Pin everything to one core when taskset exists, so that "one core" means one core.
pin=()
command -v taskset >/dev/null && pin=(taskset -c 0)

echo "== machine"
grep -m1 'model name' /proc/cpuinfo || true
echo "cores: $(nproc)"
"$otaseal" --version

echo "== openssl speed (in memory, 16 KiB blocks, 3 s each)"
openssl version
"${pin[@]}" openssl speed -seconds 3 -bytes 16384 -evp aes-128-cbc 2>/dev/null | tail -1
"${pin[@]}" openssl speed -seconds 3 -bytes 16384 -evp sha256 2>/dev/null | tail -1

file="$work/bundle.zip"
head -c "$((size_mib << 20))" /dev/urandom >"$file"
cat "$file" >/dev/null # warm the page cache

# Wall time (nanosecond clock), user and sys seconds and peak RSS (KiB) of a command, best
# wall time of RUNS runs (default 5).
timed() {
    local label="$1"
    shift
    local best_ns="" best="" start end
    for _ in $(seq "${RUNS:-5}"); do
        start="$(date +%s%N)"
        /usr/bin/time -f '%U %S %M' -o "$work/time" "${pin[@]}" "$@" >/dev/null 2>"$work/err" || {
            echo "$label: FAILED"
            cat "$work/err"
            return 1
        }
        end="$(date +%s%N)"
        if [ -z "$best_ns" ] || [ $((end - start)) -lt "$best_ns" ]; then
            best_ns=$((end - start))
            best="$(cat "$work/time")"
        fi
    done
    awk -v l="$label" -v s="$size_mib" -v ns="$best_ns" -v t="$best" 'BEGIN{split(t,x," ");
        printf "%-42s %7.3f s wall %7.1f MB/s  user %5.2f s  sys %5.2f s  peak RSS %6.1f MiB\n",
            l, ns/1e9, s*1048576/(ns/1e9)/1e6, x[1], x[2], x[3]/1024}'
}

echo "== $size_mib MiB file, best of ${RUNS:-5} (wall time includes reading and writing the files)"
timed "openssl enc -aes-128-cbc" openssl enc -aes-128-cbc -K 000102030405060708090a0b0c0d0e0f \
    -iv 0f0e0d0c0b0a09080706050403020100 -in "$file" -out "$work/openssl.enc"
timed "sha256sum" sha256sum "$file"
# --force: each run replaces the last run's output (atomically), as a re-run does.
timed "otaseal bundle encrypt" "$otaseal" bundle encrypt "$file" --key "$keys/k1.key" \
    -o "$work/bundle.enc" --force
out="$("$otaseal" bundle encrypt "$file" --key "$keys/k1.key" -o "$work/bundle.enc" --force --json)"
ivsk="$(python3 -c 'import json,sys; print(json.load(sys.stdin)["ivSessionKey"])' <<<"$out")"
signed="$(python3 -c 'import json,sys; print(json.load(sys.stdin)["checksum"])' <<<"$out")"
timed "otaseal bundle decrypt" "$otaseal" bundle decrypt "$work/bundle.enc" "$ivsk" \
    --key "$keys/k1.pub" --checksum "$signed" -o "$work/otaseal.dec" --force
cmp "$file" "$work/otaseal.dec"

if [ -x "$capgo_project/node_modules/.bin/capgo" ]; then
    cp "$work/bundle.enc" "$work/capgo.zip"
    # capgo writes FILE_decrypted.zip beside its input and must run inside the project folder.
    (cd "$capgo_project" && CI=true NO_COLOR=1 CAPGO_DISABLE_TELEMETRY=1 \
        timed "capgo bundle decrypt (@capgo/cli 8.68.1)" ./node_modules/.bin/capgo bundle decrypt \
        "$work/capgo.zip" "$ivsk" --checksum "$signed" --key "$keys/k1.pub" </dev/null)
    cmp "$file" "$work/capgo.zip_decrypted.zip" # capgo appends _decrypted.zip to the name
else
    echo "capgo bundle decrypt: skipped (run interop/run.sh first to install @capgo/cli)"
fi

echo "== otaseal bench --size ${size_mib}M (in memory, one thread)"
"${pin[@]}" "$otaseal" bench --size "${size_mib}M"
