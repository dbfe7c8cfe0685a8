#!/usr/bin/env bash
# otaseal on the CPUs of phones and boards, from an x86_64 Linux host (what .ci/run runs):
#
#   1. the libraries compile for Android and iOS (`cargo check`; no NDK or Xcode needed);
#   2. the whole test suite, cross-compiled for aarch64 and armv7 Linux, runs under qemu-user
#      (aarch64 with the ARMv8 AES, PMULL and SHA-2 instructions; armv7 as a Cortex-A7, which
#      has none, so AES, GHASH and SHA-256 run in their portable constant-time code);
#   3. the device example (examples/device_update.rs) runs on each of them.
#
# The emulated suite is the host's, OpenSSL key backend included: the `vendored` feature of
# otaseal-keys builds OpenSSL from source with the cross gcc (no target libssl-dev needed;
# a few minutes per target, once). The SoftHSM2 token tests skip there: the host's module
# cannot be loaded by an emulated process (they run on the host).
#
# Usage: scripts/cross-test.sh [TARGET...]
#        (default: the CROSS_CHECK_TARGETS, then the CROSS_TEST_TARGETS of scripts/cross-env.sh)
# Installs the rustup targets, Debian's cross gcc and qemu-user where missing.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/cross-env.sh
source scripts/cross-env.sh

targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=("${CROSS_CHECK_TARGETS[@]}" "${CROSS_TEST_TARGETS[@]}")
cross_install "${targets[@]}"

for t in "${targets[@]}"; do
    if [ -z "$(cross_runner "$t")" ]; then
        # No way to run it here: the libraries and the device example must compile.
        echo "== $t: cargo check of the libraries and the device example"
        cargo check --locked --target "$t" --workspace --lib \
            --exclude otaseal-cli --exclude otaseal-testkit --exclude otaseal-benches
        cargo check --locked --target "$t" -p otaseal-examples --example device_update
        continue
    fi
    (
        cross_env "$t"
        echo "== $t: cargo test --workspace (OpenSSL built from source for $t), under $(cross_runner "$t")"
        cargo test --workspace --locked --target "$t" --features otaseal-keys/vendored
        echo "== $t: the device example"
        cargo run --locked -q -p otaseal-examples --example device_update --target "$t"
    )
done
