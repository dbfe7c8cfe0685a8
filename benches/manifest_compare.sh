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

best=""
for r in $(seq "$runs"); do
  rm -rf "$work/out"
  t=$(python3 - "$otaseal" "$work" <<'PY'
import subprocess, sys, time
otaseal, work = sys.argv[1], sys.argv[2]
start = time.perf_counter()
subprocess.run([otaseal, "manifest", "create", f"{work}/dist", "--key", f"{work}/k1.key",
                "--base-url", "https://cdn.example/", "--out-dir", f"{work}/out", "--json"],
               check=True, stdout=subprocess.DEVNULL)
print(f"{time.perf_counter() - start:.3f}")
PY
)
  echo "otaseal manifest create, run $r: $t s"
  best=$(python3 -c "print(min(float('$t'), float('${best:-inf}')))")
done

node_json=$(node "$root/crates/otaseal-manifest/benches/manifest_node.js" --dir "$work/dist" \
  --manifest "$work/out/manifest.json" --key "$work/k1.key" --runs "$runs")
echo "node: $node_json"
python3 - "$best" "$node_json" "$n" <<'PY'
import json, os, sys
ours, node, n = float(sys.argv[1]), json.loads(sys.argv[2]), int(sys.argv[3])
ratio = ours / node["best_secs"]
print(f"{n} files, {os.cpu_count()} cores: otaseal manifest create (whole command, best) {ours:.2f} s; "
      f"node {node['node']} privateEncrypt loop (signing only, one thread, best) {node['best_secs']:.2f} s; "
      f"ratio {ratio:.2f} (target <= 0.80); signatures identical: {node['identical']}")
sys.exit(0 if node["identical"] else 1)
PY
