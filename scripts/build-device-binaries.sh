#!/usr/bin/env bash
# Static `otaseal` binaries for phones and boards: they run on Android through `adb shell`
# (no NDK, no root) and on any ARM Linux, with nothing else installed. See docs/devices.md.
#
#   OUT_DIR/otaseal-aarch64   ARMv8-A 64-bit (every current phone), aarch64-unknown-linux-musl
#   OUT_DIR/otaseal-armv7     ARMv7-A 32-bit (older phones, 32-bit Android userlands, boards),
#                             armv7-unknown-linux-musleabihf
#   OUT_DIR/SHA256SUMS
#
# Usage: scripts/build-device-binaries.sh [OUT_DIR]          (default: target/device)
# Env:   DEVICES="aarch64 armv7"   which binaries to build
#
# Pure Rust (`--no-default-features`: no OpenSSL whatever the CLI's default features are),
# release profile, symbols stripped. Installs the rustup targets it needs. Where rustup cannot
# install the armv7 musl standard library (some mirrors lack it), the armv7 binary is linked
# statically against glibc instead (armv7-unknown-linux-gnueabihf, `+crt-static`, Debian's
# gcc-arm-linux-gnueabihf): just as self-contained, and the script says so.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
# shellcheck source=scripts/cross-env.sh
source scripts/cross-env.sh

out="${1:-target/device}"
read -r -a devices <<<"${DEVICES:-aarch64 armv7}"
mkdir -p "$out"

for device in "${devices[@]}"; do
    target="$(device_target "$device")"
    extra_flags=""
    if ! cross_try_target "$target"; then
        if [ "$device" != armv7 ]; then
            echo "error: rustup cannot install the standard library of $target" >&2
            exit 1
        fi
        echo "note: rustup cannot install $target here; linking armv7 statically against glibc ($ARMV7_STATIC_FALLBACK, +crt-static)" >&2
        target="$ARMV7_STATIC_FALLBACK"
        extra_flags="-C target-feature=+crt-static"
    fi
    cross_install "$target"
    echo "== otaseal-$device: cargo build --release -p otaseal-cli --no-default-features --target $target"
    (
        cross_env "$target"
        # RUSTFLAGS, when set (.ci/run sets -Dwarnings), replaces the target's rustflags: add
        # to it rather than to CARGO_TARGET_<T>_RUSTFLAGS.
        export RUSTFLAGS="${RUSTFLAGS:-} $extra_flags"
        export CARGO_PROFILE_RELEASE_STRIP=symbols CARGO_PROFILE_RELEASE_DEBUG=false
        cargo build --release --locked -p otaseal-cli --no-default-features --target "$target"
    )
    cp "${CARGO_TARGET_DIR:-target}/$target/release/otaseal" "$out/otaseal-$device"
done

cd "$out"
names=()
for device in "${devices[@]}"; do names+=("otaseal-$device"); done
sha256sum "${names[@]}" >SHA256SUMS
echo
echo "== device binaries in $out"
for n in "${names[@]}"; do
    printf '%-16s %9s bytes  sha256 %s\n' "$n" "$(stat -c %s "$n")" "$(grep " $n\$" SHA256SUMS | cut -d' ' -f1)"
done
