# shellcheck shell=bash disable=SC2034  # (the variables are read by the scripts that source this file)
# The one home of otaseal's cross targets: what each needs installed, its linker, and how it
# runs on an x86_64 Linux host (qemu-user). Sourced by scripts/cross-test.sh,
# scripts/build-device-binaries.sh, scripts/check-device-binary.sh and .ci/run; not run.
#
# Debian/Ubuntu packages; `apt-get` runs only for what is missing (as root, or through sudo).

# The whole test suite runs on these, under qemu-user. armv7 stands for older phones without
# the ARMv8 crypto extensions: qemu emulates a Cortex-A7 (NEON, no AES/PMULL/SHA-2), and the
# 32-bit builds of the aes, polyval and sha2 crates have only their portable code anyway.
CROSS_TEST_TARGETS=(aarch64-unknown-linux-gnu armv7-unknown-linux-gnueabihf)
# The libraries must compile for these (`cargo check`: no NDK, SDK or linker needed).
CROSS_CHECK_TARGETS=(aarch64-linux-android armv7-linux-androideabi aarch64-apple-ios)
# Where a rustup mirror lacks the armv7 musl standard library, the armv7 device binary is
# linked statically against glibc instead (see scripts/build-device-binaries.sh).
ARMV7_STATIC_FALLBACK=armv7-unknown-linux-gnueabihf

# device_target DEVICE: the target of the static `otaseal-DEVICE` binary (aarch64, armv7) that
# runs on Android (adb shell) and embedded Linux as it is.
device_target() {
    case "$1" in
        aarch64) echo aarch64-unknown-linux-musl ;;
        armv7) echo armv7-unknown-linux-musleabihf ;;
        *) echo "unknown device $1 (aarch64, armv7)" >&2; return 1 ;;
    esac
}

# device_runner DEVICE: how a static `otaseal-DEVICE` runs here. No `-L` sysroot: a binary that
# is not static fails to start.
device_runner() {
    cross_runner "$(device_target "$1")"
}

# cross_runner TARGET: the command that runs a TARGET binary here (empty for the host).
cross_runner() {
    case "$1" in
        aarch64-unknown-linux-gnu) echo "qemu-aarch64 -cpu max -L /usr/aarch64-linux-gnu" ;;
        armv7-unknown-linux-gnueabihf) echo "qemu-arm -cpu cortex-a7 -L /usr/arm-linux-gnueabihf" ;;
        aarch64-unknown-linux-musl) echo "qemu-aarch64 -cpu max" ;;
        armv7-unknown-linux-musleabihf) echo "qemu-arm -cpu cortex-a7" ;;
        *) echo "" ;;
    esac
}

# cross_linker TARGET: the linker cargo needs for TARGET (empty: cargo's default or
# .cargo/config.toml, which sets rust-lld for the musl targets).
cross_linker() {
    case "$1" in
        aarch64-unknown-linux-gnu) echo aarch64-linux-gnu-gcc ;;
        armv7-unknown-linux-gnueabihf) echo arm-linux-gnueabihf-gcc ;;
        *) echo "" ;;
    esac
}

# cross_packages TARGET: the Debian packages TARGET needs to link and run here.
cross_packages() {
    case "$1" in
        aarch64-unknown-linux-gnu) echo gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user ;;
        armv7-unknown-linux-gnueabihf) echo gcc-arm-linux-gnueabihf libc6-dev-armhf-cross qemu-user ;;
        *-linux-musl*) echo qemu-user ;;
        *) echo "" ;;
    esac
}

# cross_has_target TARGET: whether rustup's standard library for TARGET is installed.
cross_has_target() {
    rustup target list --installed 2>/dev/null | grep -qx "$1"
}

# cross_install TARGET...: the rustup targets and Debian packages that are missing. Fails if a
# rustup target cannot be added (the caller may choose a fallback, see cross_try_target).
cross_install() {
    local t pkgs=()
    for t in "$@"; do
        cross_has_target "$t" || rustup target add "$t"
        # shellcheck disable=SC2207
        pkgs+=($(cross_packages "$t"))
    done
    cross_install_packages "${pkgs[@]}"
}

# cross_install_packages PACKAGE...: the Debian packages that are missing.
cross_install_packages() {
    local p pkgs=()
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || pkgs+=("$p")
    done
    [ ${#pkgs[@]} -eq 0 ] && return 0
    local sudo=()
    [ "$(id -u)" -eq 0 ] || sudo=(sudo)
    # One apt-get update per shell, only when something is missing.
    if [ -z "${CROSS_APT_UPDATED:-}" ]; then
        "${sudo[@]}" apt-get update -qq
        CROSS_APT_UPDATED=1
    fi
    # shellcheck disable=SC2046
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        $(printf '%s\n' "${pkgs[@]}" | sort -u) >/dev/null
}

# cross_try_target TARGET: installs TARGET's standard library if rustup can; returns 1 if not.
cross_try_target() {
    cross_has_target "$1" || rustup target add "$1" >/dev/null 2>&1
}

# cross_env TARGET: exports the linker and runner of TARGET for cargo, and the same runner as
# OTASEAL_TEST_RUNNER for the tests that start the otaseal binary (otaseal_testkit::cli): the
# host kernel cannot execute a foreign binary that a test spawns, so the tests prefix it.
#
# Under emulation every instruction costs tens of host instructions, and the workspace's own
# crates are built unoptimized by default (only dependencies get opt-level 3, see the root
# Cargo.toml): generic AES-GCM and CBC code monomorphized in otaseal-envelope then runs at
# opt-level 0, and the armv7 suite takes half an hour. So the emulated tests build the
# workspace optimized too, keeping what makes a test build a test build: debug assertions and
# overflow checks stay on (the test and dev profiles' defaults). Line tables only: smaller,
# faster links, and a panic still names its line.
cross_env() {
    export CARGO_PROFILE_TEST_OPT_LEVEL=3 CARGO_PROFILE_DEV_OPT_LEVEL=3
    export CARGO_PROFILE_TEST_DEBUG=line-tables-only CARGO_PROFILE_DEV_DEBUG=line-tables-only
    local upper linker runner
    upper="$(echo "$1" | tr 'a-z-' 'A-Z_')"
    linker="$(cross_linker "$1")"
    runner="$(cross_runner "$1")"
    if [ -n "$linker" ]; then export "CARGO_TARGET_${upper}_LINKER=$linker"; fi
    if [ -n "$runner" ]; then
        export "CARGO_TARGET_${upper}_RUNNER=$runner"
        export OTASEAL_TEST_RUNNER="$runner"
        # The host's SoftHSM2 module cannot be loaded by an emulated process: the token tests
        # skip (otaseal_testkit::softhsm checks the module's CPU) instead of failing as CI's
        # OTASEAL_REQUIRE_SOFTHSM would have them; they run on the host.
        unset OTASEAL_REQUIRE_SOFTHSM
    fi
}
