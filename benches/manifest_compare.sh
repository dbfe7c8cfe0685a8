#!/usr/bin/env bash
# The whole `otaseal manifest create` against Node's privateEncrypt (docs/performance.md,
# "Manifest signing"): one run, on this machine.
#
# 1. makes a web folder of N files (default 10,000; small distinct files in 100 folders);
# 2. builds `otaseal` in release (default features: the OpenSSL backend);
# 3. times `otaseal manifest create` as a whole command (process start, scan, hash, encrypt,
#    write 10,000 files, sign every distinct hash on all cores), best of RUNS (default 3);
# 4. runs `crates/otaseal-manifest/benches/manifest_node.js`: the bare single-thread
#    `privateEncrypt` loop over the same hashes with the key parsed once, best of RUNS, and its
#    check that every signature equals otaseal's file_hash byte for byte;
# 5. prints both times and the ratio (target: otaseal <= 0.8 x Node).
#
# Usage: benches/manifest_compare.sh [N] [RUNS]    (needs node and python3)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
n="${1:-10000}"
runs="${2:-3}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

python3 - "$work/dist" "$n" <<'PY'
import os, sys
root, n = sys.argv[1], int(sys.argv[2])
for i in range(n):
    d = os.path.join(root, f"dir{i % 100:02d}")
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, f"chunk-{i:05d}.js"), "w") as f:
        f.write(f"export const id{i} = {i};\n" + "// " + ("otaseal " * 24) + "\n")
PY

cargo build -q --release -p otaseal-cli --manifest-path "$root/Cargo.toml"
otaseal="${CARGO_TARGET_DIR:-$root/target}/release/otaseal"
install -m 600 "$root/spec/vectors/capgo-cli/keys/k1.key" "$work/k1.key"

# Alternate the two, RUNS times each, and keep the best of each: the machine's load then
# weighs on both alike.
python3 - "$otaseal" "$work" "$root" "$runs" "$n" <<'PY'
import json, os, resource, subprocess, sys, time
otaseal, work, root, runs, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
node_js = f"{root}/crates/otaseal-manifest/benches/manifest_node.js"
ours, theirs, identical = [], [], True
for r in range(runs):
    subprocess.run(["rm", "-rf", f"{work}/out"], check=True)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run([otaseal, "manifest", "create", f"{work}/dist", "--key", f"{work}/k1.key",
                    "--base-url", "https://cdn.example/", "--out-dir", f"{work}/out", "--json"],
                   check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    node = json.loads(subprocess.run(["node", node_js, "--dir", f"{work}/dist", "--manifest",
                                      f"{work}/out/manifest.json", "--key", f"{work}/k1.key", "--runs", "1"],
                                     check=False, capture_output=True, text=True).stdout)
    identical = identical and node["identical"]
    ours.append(wall)
    theirs.append(node["best_secs"])
    print(f"run {r + 1}: otaseal manifest create {wall:.2f} s wall ({cpu:.2f} s CPU); "
          f"node privateEncrypt loop {node['best_secs']:.2f} s; identical: {node['identical']}")
best, node_best = min(ours), min(theirs)
print(f"{n} files, {os.cpu_count()} cores, node {node['node']}: otaseal manifest create (whole command, best of {runs}) "
      f"{best:.2f} s; node privateEncrypt loop (signing only, one thread, key parsed once, best of {runs}) "
      f"{node_best:.2f} s; ratio {best / node_best:.2f} (target <= 0.80); every signature identical: {identical}")
sys.exit(0 if identical else 1)
PY
