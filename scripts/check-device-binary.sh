#!/usr/bin/env bash
# Runs a static device binary of scripts/build-device-binaries.sh under qemu-user on the
# project's vectors, as it would run on a phone:
#
#   - every Capgo V2 vector made by the real @capgo/cli (spec/vectors/capgo-cli): `bundle
#     decrypt` verifies it and writes the recorded plaintext; with the last byte of the bundle
#     flipped it is refused and writes nothing;
#   - every V3 vector (spec/vectors/v3/manifest.json): `open --json` gives the recorded
#     plaintext or refuses with the recorded error code;
#   - `bench --json` runs and names the architecture.
#
# Usage: scripts/check-device-binary.sh DEVICE [BINARY]
#        DEVICE is aarch64 or armv7; BINARY defaults to target/device/otaseal-DEVICE.
# Ends with "N passed, N failed"; exits non-zero if anything failed.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
# shellcheck source=scripts/cross-env.sh
source scripts/cross-env.sh

device="${1:?usage: scripts/check-device-binary.sh aarch64|armv7 [BINARY]}"
bin="${2:-target/device/otaseal-$device}"
read -r -a runner <<<"$(device_runner "$device")"
cross_install_packages qemu-user python3
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
passed=0
failed=0
ok() { passed=$((passed + 1)); }
ko() {
    failed=$((failed + 1))
    echo "FAILED: $*" >&2
}
run() { "${runner[@]}" "$bin" "$@"; }

echo "== $bin under ${runner[*]}"
if ! run --version >/dev/null 2>"$work/err"; then
    echo "error: $bin does not start under ${runner[*]} (not static, or not for $device):" >&2
    cat "$work/err" >&2
    exit 1
fi

# Capgo V2: id, encrypted file, ivSessionKey, key, signed checksum, plaintext SHA-256.
v2="spec/vectors/capgo-cli"
while IFS=$'\t' read -r id enc ivsk key checksum sha; do
    out="$work/$id.zip"
    if run bundle decrypt "$v2/$enc" "$ivsk" --key "$v2/keys/$key.pub" --checksum "$checksum" \
        -o "$out" >"$work/log" 2>&1 && [ "$(sha256sum <"$out" | cut -d' ' -f1)" = "$sha" ]; then
        ok
    else
        ko "V2 $id: $(cat "$work/log")"
    fi
    # The same bundle with its last byte flipped: refused, nothing written.
    python3 -c 'import sys; b=bytearray(open(sys.argv[1],"rb").read()); b[-1]^=1; open(sys.argv[2],"wb").write(b)' \
        "$v2/$enc" "$work/tampered"
    if ! run bundle decrypt "$work/tampered" "$ivsk" --key "$v2/keys/$key.pub" --checksum "$checksum" \
        -o "$work/tampered.zip" >"$work/log" 2>&1 && [ ! -e "$work/tampered.zip" ]; then
        ok
    else
        ko "V2 $id tampered: accepted or left output: $(cat "$work/log")"
    fi
done < <(python3 - "$v2/manifest.json" <<'EOF'
import json, sys
m = json.load(open(sys.argv[1]))
for v in m["v2"]:
    print("\t".join([v["id"], v["encrypted"], v["iv_session_key"], v["key"], v["signed_checksum"], v["sha256"]]))
EOF
)

# V3: file, expect, arguments of `otaseal open` (NUL-free, one per field).
v3="spec/vectors/v3"
i=0
while IFS=$'\t' read -r file expect sha args; do
    i=$((i + 1))
    read -r -a argv <<<"$args"
    out="$work/v3-$i.zip"
    run open "$v3/$file" "${argv[@]}" -o "$out" --json >"$work/json" 2>"$work/log" || true
    got="$(python3 -c 'import json,sys; v=json.load(open(sys.argv[1])); print(v["error"] if "error" in v else "success:"+v["sha256"])' "$work/json" 2>/dev/null || echo "no JSON")"
    want="$expect"
    [ "$expect" = success ] && want="success:$sha"
    if [ "$got" = "$want" ] && { [ "$expect" = success ] || [ ! -e "$out" ]; }; then
        ok
    else
        ko "V3 #$i $file: expected $want, got $got: $(cat "$work/log")"
    fi
done < <(python3 - "$v3/manifest.json" "$v3" <<'EOF'
import json, sys
m, d = json.load(open(sys.argv[1])), sys.argv[2]
for v in m["vectors"]:
    a = ["--decryption-key", f"{d}/keys/{v['decryption_key']}.key", "--app-id", v["app_id"],
         "--channel", v["channel"], "--min-sequence", str(v["min_sequence"]), "--now", str(v["now"])]
    for t in v["trusted"]:
        a += ["--trust", f"{d}/keys/{t}.pub"]
    for r in v["rotations"]:
        a += ["--rotation", f"{d}/{r}"]
    print("\t".join([v["file"], v["expect"], v.get("plaintext_sha256", "-"), " ".join(a)]))
EOF
)

# The bench, briefly: it runs and reports this architecture.
if run bench --size 64K --seconds 0.05 --json >"$work/bench.json" 2>"$work/log" &&
    python3 -c 'import json,sys; v=json.load(open(sys.argv[1])); sys.exit(v["arch"] != sys.argv[2] or len(v["results"]) < 6)' \
        "$work/bench.json" "$( [ "$device" = armv7 ] && echo arm || echo aarch64 )"; then
    ok
else
    ko "bench: $(cat "$work/log")"
fi

echo "$device: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
